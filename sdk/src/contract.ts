/**
 * The action plugin contract: what an action plugin's default export looks like, what it
 * is given for a delivery, and what it answers. An action plugin (`defineAction`)
 * delivers one event to one destination. The relay owns retries, scheduling, recording
 * and metrics; a plugin only says what happened (ok / retry / fail) and, for protocols
 * that speak HTTP, what was exchanged so the relay can record the attempt.
 *
 * Types only and a few identity helpers: nothing here depends on the relay's
 * framework, database or HTTP stack, so a plugin built against this package runs in any
 * relay that supports its apiVersion.
 */
import type { Socket } from 'node:net'
import type { Static, TObject } from 'typebox'

/** A manifest's `secrets` entry: a config field, or `<field>.*` for each value of a map. */
export type SecretField<K extends string = string> = K | `${K}.*`

/**
 * The plugin API these types describe. A plugin states it in its manifest as a literal
 * (`apiVersion: 1`), so the number is fixed in the plugin's own build and the relay that
 * loads it can tell whether it speaks that API; a relay refuses at boot a version it does
 * not support. The package's major version is this number. The compatibility policy
 * (what changes it) is in docs/plugins.md.
 */
export const PLUGIN_API_VERSION = 1
export type PluginApiVersion = typeof PLUGIN_API_VERSION

export type Headers = Record<string, string>

/** The event as ingested: raw bytes are the truth, `json` is a convenience parse. */
export interface EventView {
  readonly id: string
  readonly sourceId: string
  readonly sourceSlug: string
  readonly receivedAt: Date
  readonly contentType: string | null
  readonly headers: Headers
  readonly body: Buffer
  /** Parsed body when the content is JSON, otherwise undefined. */
  readonly json: unknown
}

/** What is to be sent: the original body, or the output of the subscription's transform. */
export interface Payload {
  readonly body: Buffer
  readonly contentType: string
  /** Extra headers a transform asked for (http-relay adds them to the request). */
  readonly headers: Headers
  /** Target URL override from a transform (http-relay only). */
  readonly url?: string
  /**
   * True when the subscription's transform produced this payload. A message plugin then
   * sends what the transform returned (see transformedMessage), rather than rendering its
   * own presets over it.
   */
  readonly transformed?: boolean
}

export interface DeliveryInput<C> {
  readonly event: EventView
  readonly payload: Payload
  /** The subscription's config, validated against the manifest's schema, secrets decrypted. */
  readonly config: C
  readonly subscription: {
    readonly id: string
    /** `whsec_...` secrets, newest first; more than one while a rotation is in its grace period. */
    readonly signingSecrets: readonly string[]
  }
  readonly delivery: {
    readonly id: string
    /** Stable across retries and replays, so receivers can dedupe. */
    readonly webhookId: string
    /** 1 for the first attempt. */
    readonly attempt: number
  }
  /** Aborted when the delivery timeout passes or the worker shuts down. */
  readonly signal: AbortSignal
}

/** An HTTP exchange as the core records it (bodies truncated by the core, headers masked). */
export interface RecordedRequest {
  readonly url: string
  readonly method: string
  readonly headers: Headers
  readonly body: Buffer | null
}
export interface RecordedResponse {
  readonly status: number
  readonly headers: Headers
  readonly body: Buffer | null
}
export interface Exchange {
  readonly request?: RecordedRequest
  readonly response?: RecordedResponse
}

export type DeliveryResult =
  | { readonly outcome: 'ok'; readonly exchange?: Exchange }
  | {
      readonly outcome: 'retry'
      readonly reason: string
      /** Delay the receiver asked for (Retry-After), in ms. The core clamps it. */
      readonly afterMs?: number
      readonly exchange?: Exchange
    }
  | {
      readonly outcome: 'fail'
      readonly reason: string
      /** The receiver said it is gone for good (HTTP 410): the core disables the subscription. */
      readonly disableSubscription?: boolean
      readonly exchange?: Exchange
    }

export interface HttpRequest {
  readonly url: string
  readonly method?: string
  readonly headers?: Headers
  readonly body?: Buffer | string | null
  readonly timeoutMs?: number
  readonly signal?: AbortSignal
}
export interface HttpResponse {
  readonly status: number
  readonly headers: Headers
  /** Read up to the client's response cap; the rest is discarded. */
  readonly body: Buffer
}

/**
 * Outgoing HTTP with the SSRF guard (addresses checked after DNS resolution, the
 * connection pinned to the checked address), keep-alive pools, timeouts, and no
 * redirects followed.
 */
export interface HttpClient {
  request(req: HttpRequest): Promise<HttpResponse>
}

export interface Logger {
  debug(obj: object, msg?: string): void
  info(obj: object, msg?: string): void
  warn(obj: object, msg?: string): void
  error(obj: object, msg?: string): void
}

export interface Signer {
  /** Standard Webhooks headers (webhook-id, webhook-timestamp, webhook-signature) for a body. */
  sign(input: {
    webhookId: string
    timestamp: number
    body: Buffer
    secrets: readonly string[]
  }): Headers
}

/**
 * Opens a TCP connection through the relay's SSRF guard, for plugins that speak something
 * other than HTTP (the email plugin's SMTP). Resolves once connected; rejects with code
 * RELAY_ERR_EGRESS_REFUSED for a forbidden destination, ETIMEDOUT after `timeoutMs`.
 */
export type TcpConnect = (target: { host: string; port: number; timeoutMs?: number; signal?: AbortSignal }) => Promise<Socket>

export interface ActionContext {
  readonly http: HttpClient
  /** TCP through the same SSRF guard as `http`; never open sockets any other way. */
  readonly connect: TcpConnect
  readonly log: Logger
  readonly signer: Signer
  /** W3C trace context headers (traceparent, tracestate) for the current delivery. */
  traceHeaders(): Headers
}

export interface ActionManifest<S extends TObject = TObject> {
  /** Absent or 'action'; `defineAction` leaves it out so older manifests stay valid. */
  readonly kind?: 'action'
  /** The plugin API the plugin was built against, written as a literal: `apiVersion: 1`. */
  readonly apiVersion: number
  /** Unique across installed plugins; stored on subscriptions as `action`. */
  readonly name: string
  readonly version: string
  readonly title: string
  readonly description?: string
  /** TypeBox schema of the subscription config. */
  readonly config: S
  /**
   * Config values that are encrypted at rest and masked in API responses and the UI: a
   * top-level field, or `<field>.*` for every value of a map field (headers). Declare
   * every value that can carry a credential (core/test/plugin/secret-fields.test.ts
   * checks the built-in plugins).
   */
  readonly secrets?: readonly SecretField<keyof Static<S> & string>[]
  /**
   * The destination's own documented limit (Slack: one message a second per webhook), used
   * for every subscription of this action that sets none of its own. The relay enforces
   * it across all workers; deliveries over it wait for their turn instead of drawing 429s.
   * `burst` (default 1): how many may start at once after a quiet spell.
   */
  readonly rateLimit?: { readonly perSecond: number; readonly burst?: number }
  deliver(input: DeliveryInput<Static<S>>, ctx: ActionContext): Promise<DeliveryResult>
  /**
   * Releases what the plugin keeps across deliveries (connection pools, clients). The
   * relay calls it once as it stops, after its in-flight deliveries have finished. A
   * delivery after it must still work (one relay's stop does not stop another in the
   * same process, as in tests): reopen lazily what was closed.
   */
  close?(): Promise<void> | void
}

/**
 * Gives a manifest its types. apiVersion must be written out: these types are those of
 * API PluginApiVersion, and the literal is what the loading relay checks. (It used to be
 * filled in from the relay that loaded the plugin, so the check could never fail.)
 */
export function defineAction<S extends TObject>(manifest: ActionManifest<S> & { apiVersion: PluginApiVersion }): ActionManifest<S> {
  return manifest
}

export const ok = (exchange?: Exchange): DeliveryResult => ({ outcome: 'ok', exchange })
export const retry = (reason: string, opts: { afterMs?: number; exchange?: Exchange } = {}): DeliveryResult => ({
  outcome: 'retry',
  reason,
  ...opts,
})
export const fail = (
  reason: string,
  opts: { disableSubscription?: boolean; exchange?: Exchange } = {},
): DeliveryResult => ({ outcome: 'fail', reason, ...opts })

