/**
 * The plugin contract as the relay sees it: the action plugin API of
 * @webhook-relay/plugin-sdk, which this module re-exports, plus lifecycle plugins
 * (`defineLifecycle`), which add to the relay itself, such as REST routes under /api/v1
 * (the dead-letter queue), run in the API process and are given the relay's own
 * services (Fastify, the pool): they are first-party until their services are narrowed.
 */
import type { FastifyInstance } from 'fastify'
import type { DatabasePool } from 'slonik'
import type { ActionManifest, Logger, PluginApiVersion } from '@webhook-relay/plugin-sdk'
import { PLUGIN_API_VERSION } from '@webhook-relay/plugin-sdk'

export * from '@webhook-relay/plugin-sdk'

/** The plugin API versions this relay loads; a manifest with another fails at boot (manifest.ts). */
export const SUPPORTED_PLUGIN_API_VERSIONS: readonly number[] = [PLUGIN_API_VERSION]

/**
 * What the core hands a lifecycle plugin's `routes()`. Postgres is the shared schema
 * (sql/), for the plugin's reads; a change of a delivery goes through `deliveries`.
 */
export interface LifecycleDeps {
  /** The relay's Postgres pool (slonik), for reads. */
  readonly db: DatabasePool
  readonly log: Logger
  /**
   * The dead-letter transitions of the delivery state machine
   * (core/src/delivery/service.ts): a plugin selects deliveries with its own queries and
   * asks for the change; it never writes delivery rows. Replayed ones are enqueued.
   * Each returns the ids that were still dead (and so changed).
   */
  readonly deliveries: {
    replayDead(ids: readonly string[]): Promise<readonly string[]>
    discardDead(ids: readonly string[]): Promise<readonly string[]>
  }
  /**
   * @deprecated Kept for lifecycle plugins written before `deliveries`: puts deliveries
   * on the stream. Harmless (a claim only starts what the state machine allows), but
   * the transitions above enqueue what they change themselves.
   */
  enqueueDeliveries(ids: readonly string[]): Promise<void>
  /** A delivery in the JSON shape of GET /api/v1/deliveries/:id, attempt history included; null when there is none. */
  deliveryDetail(id: string): Promise<Record<string, unknown> | null>
}

export interface LifecycleManifest {
  readonly kind: 'lifecycle'
  /** As for actions: the literal the plugin was built against. */
  readonly apiVersion: number
  /** Unique across all installed plugins, actions included. */
  readonly name: string
  readonly version: string
  readonly title: string
  readonly description?: string
  /**
   * Registers REST routes. They are mounted under /api/v1 behind the admin bearer token,
   * in their own Fastify scope, and use the relay's error handler.
   */
  routes?(app: FastifyInstance, deps: LifecycleDeps): Promise<void>
}

export type PluginManifest = ActionManifest | LifecycleManifest

/** Gives a lifecycle manifest its types and kind; apiVersion written out, as for defineAction. */
export function defineLifecycle(manifest: Omit<LifecycleManifest, 'kind'> & { apiVersion: PluginApiVersion }): LifecycleManifest {
  return { ...manifest, kind: 'lifecycle' }
}
