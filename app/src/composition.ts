/**
 * The composition root: Webhook Relay as shipped is the core, the action and lifecycle
 * plugins under plugins/ and the admin UI. Only this package names them; the core loads
 * what a Composition lists (and RELAY_PLUGINS adds), the UI sees only core's public API.
 */
import type { Composition } from '@webhook-relay/core'
import { uiExtension } from '@webhook-relay/ui'

/** Order does not matter: names must be unique across these and RELAY_PLUGINS'. */
export const BUILTIN_PLUGINS: readonly string[] = [
  '@webhook-relay/plugin-http-relay',
  '@webhook-relay/plugin-pagerduty',
  '@webhook-relay/plugin-opsgenie',
  '@webhook-relay/plugin-dlq',
  '@webhook-relay/plugin-slack',
  '@webhook-relay/plugin-s3',
  '@webhook-relay/plugin-discord',
  '@webhook-relay/plugin-email',
]

export const relayComposition: Composition = { plugins: BUILTIN_PLUGINS, extensions: [uiExtension] }
