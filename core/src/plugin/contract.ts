/**
 * The plugin API as the host sees it: @webhook-relay/plugin-sdk's action and lifecycle
 * manifests (a plugin imports the SDK, never this), and the API versions this relay loads.
 */
import type { ActionManifest, LifecycleManifest } from '@webhook-relay/plugin-sdk'
import { PLUGIN_API_VERSION } from '@webhook-relay/plugin-sdk'

export * from '@webhook-relay/plugin-sdk'

/** The plugin API versions this relay loads; a manifest with another fails at boot (manifest.ts). */
export const SUPPORTED_PLUGIN_API_VERSIONS: readonly number[] = [PLUGIN_API_VERSION]

export type PluginManifest = ActionManifest | LifecycleManifest
