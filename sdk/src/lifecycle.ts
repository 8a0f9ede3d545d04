/**
 * Lifecycle plugins: they add to the relay itself rather than deliver (the dead-letter
 * queue is one). They run in the API process and get narrow services, never the relay's
 * Fastify instance or Postgres pool, so neither library's major is part of the plugin API:
 *   routes     REST routes under /api/v1, behind the admin bearer token, validated by
 *              TypeBox schemas and listed in the OpenAPI document
 *   deliveries the delivery state service: reads of dead letters and a delivery's
 *              detail, and the dead-letter transitions of the state machine (a plugin
 *              never writes delivery rows)
 *   log        the relay's logger, scoped to the plugin
 */
import type { Static, TSchema } from 'typebox'
import type { Logger, PluginApiVersion } from './contract.ts'

export interface RouteSpec<P extends TSchema = TSchema, Q extends TSchema = TSchema, B extends TSchema = TSchema> {
  /** One line for the OpenAPI document. */
  readonly summary: string
  readonly description?: string
  /** Path parameters (`:id`), query string and JSON body: a request that does not match gets a 400 first. */
  readonly params?: P
  readonly query?: Q
  readonly body?: B
}

export interface RouteRequest<P, Q, B> {
  readonly params: P
  readonly query: Q
  readonly body: B
  readonly log: Logger
}

const ANSWER = Symbol.for('webhook-relay.route-answer')

/** A reply other than 200 with a JSON body: made by `answer`. */
export interface RouteAnswer {
  readonly [ANSWER]: true
  readonly status: number
  readonly body?: unknown
}

/** `return answer(202, detail)`, `return answer(204)`; a plain return value is a 200 with it as JSON. */
export function answer(status: number, body?: unknown): RouteAnswer {
  return { [ANSWER]: true, status, body }
}

export function isRouteAnswer(v: unknown): v is RouteAnswer {
  return typeof v === 'object' && v !== null && (v as Record<symbol, unknown>)[ANSWER] === true
}

/**
 * Thrown by a handler: the relay answers with its JSON error shape
 * ({ statusCode, code, error, message }). Codes are the plugin's, e.g. RELAY_ERR_DEAD_LETTER_NOT_FOUND;
 * a code once published is never reused for another meaning.
 */
export class RouteError extends Error {
  readonly statusCode: number
  readonly code: string
  constructor(statusCode: number, code: string, message: string) {
    super(message)
    this.name = 'RouteError'
    this.statusCode = statusCode
    this.code = code
  }
}

export type RouteHandler<P extends TSchema, Q extends TSchema, B extends TSchema> = (req: RouteRequest<Static<P>, Static<Q>, Static<B>>) => Promise<unknown>

type Register = <P extends TSchema = TSchema, Q extends TSchema = TSchema, B extends TSchema = TSchema>(path: string, spec: RouteSpec<P, Q, B>, handler: RouteHandler<P, Q, B>) => void

/** Paths are relative to /api/v1 and may not shadow the relay's own. */
export interface Routes {
  readonly get: Register
  readonly post: Register
  readonly put: Register
  readonly patch: Register
  readonly delete: Register
}

export type DeadLetterReason = 'exhausted' | 'permanent'

export interface DeadLetterFilter {
  readonly sourceId?: string
  readonly subscriptionId?: string
  readonly reason?: DeadLetterReason
  /** ISO date-times: dead-lettered at or after `since`, before `until`. */
  readonly since?: string
  readonly until?: string
}

export interface DeadLetter {
  readonly deliveryId: string
  readonly eventId: string
  readonly subscriptionId: string
  readonly sourceId: string
  readonly action: string
  readonly webhookId: string
  readonly reason: string
  readonly lastError: string | null
  readonly attemptCount: number
  readonly deadAt: string
  readonly eventReceivedAt: string
}

export interface DeliveryStateService {
  /** Newest first; `nextBefore` pages on (null on the last page). Null: `before` is not a cursor this returned. */
  listDead(f: DeadLetterFilter & { readonly before?: string; readonly limit: number }): Promise<{ items: DeadLetter[]; nextBefore: string | null } | null>
  getDead(deliveryId: string): Promise<DeadLetter | null>
  countDead(f: DeadLetterFilter): Promise<number>
  /** Up to `limit` ids matching the filter, oldest first. */
  oldestDeadIds(f: DeadLetterFilter, limit: number): Promise<readonly string[]>
  /** The state machine's transitions; each returns the ids that were still dead (and so changed). Replayed ones are enqueued. */
  replayDead(ids: readonly string[]): Promise<readonly string[]>
  discardDead(ids: readonly string[]): Promise<readonly string[]>
  /** A delivery in the JSON shape of GET /api/v1/deliveries/:id, attempt history included; null when there is none. */
  detail(deliveryId: string): Promise<Record<string, unknown> | null>
}

export interface LifecycleContext {
  readonly log: Logger
  readonly deliveries: DeliveryStateService
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
  /** Registers REST routes; called once in each API process, before it listens. */
  routes?(routes: Routes, ctx: LifecycleContext): void | Promise<void>
}

/** Gives a lifecycle manifest its types and kind; apiVersion written out, as for defineAction. */
export function defineLifecycle(manifest: Omit<LifecycleManifest, 'kind'> & { apiVersion: PluginApiVersion }): LifecycleManifest {
  return { ...manifest, kind: 'lifecycle' }
}
