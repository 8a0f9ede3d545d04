/**
 * Rows to the public JSON contract (camelCase). Secrets never leave here in clear:
 * verification secrets and plugin secret fields are masked; signing secrets are shown
 * only by the create and rotate responses, which add them explicitly.
 */
import { shownHeaders } from '../secrets/credential-headers.ts'
import { effectiveRateLimit } from '../delivery/rate-limit.ts'
import { effectiveCircuit, type CircuitSettings, type CircuitSettingsInput } from '../delivery/circuit-breaker.ts'
import type { CircuitRow } from '../store/circuits.ts'
import type { PluginHost } from '../plugin/host.ts'
import { CLAIMABLE, type DeliveryStatus } from '../delivery/status.ts'
import { MASK } from '../plugin/host.ts'
import type { SourceRow } from '../store/sources.ts'
import type { SubscriptionRow } from '../store/subscriptions.ts'
import type { EventRow } from '../store/events.ts'
import type { AttemptRow, DeliveryRow } from '../store/deliveries.ts'

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

export function sourceView(r: SourceRow, publicUrl: string) {
  return {
    id: r.id,
    name: r.name,
    slug: r.slug,
    mode: r.mode,
    enabled: r.enabled,
    verification: r.verification ? { ...r.verification, secret: MASK } : null,
    idempotencyHeader: r.idempotency_header,
    maxBodyBytes: r.max_body_bytes,
    /** The relay's own events (circuit opened or closed, subscription disabled): it takes no webhooks. */
    system: r.system,
    ingestUrl: r.system ? null : `${publicUrl}/in/${r.slug}`,
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  }
}

/** A subscription's circuit as the API and UI show it. */
export function circuitView(c: CircuitRow | null | undefined) {
  if (!c) return { state: 'closed' as const }
  return {
    state: c.state,
    failingSince: iso(c.failing_since),
    /** open: when the next probe is sent; probing: until when the probe may take. */
    until: iso(c.open_until),
    opens: c.opens,
    probeDeliveryId: c.probe_delivery_id,
    lastError: c.last_error,
  }
}

export function subscriptionView(r: SubscriptionRow, plugins: PluginHost, circuit: { defaults: CircuitSettings; row: CircuitRow | null | undefined }) {
  return {
    id: r.id,
    sourceId: r.source_id,
    action: r.action,
    config: plugins.maskConfig(r.action, r.config),
    enabled: r.enabled,
    disabledReason: r.disabled_reason,
    transformVersionId: r.transform_version_id,
    description: r.description,
    filter: r.filter,
    /** Its own limit; null when it follows its action's default. */
    rateLimit: r.rate_limit,
    /** The limit enforced, and where it comes from; null: none. */
    effectiveRateLimit: effectiveRateLimit(r.rate_limit, plugins.defaultRateLimit(r.action)),
    /** Its own circuit breaker settings; null: the relay's defaults. */
    circuitBreaker: r.circuit_breaker,
    effectiveCircuitBreaker: effectiveCircuit(r.circuit_breaker as CircuitSettingsInput | null, circuit.defaults),
    circuit: circuitView(circuit.row),
    signingSecrets: r.signing_secrets.map((s) => ({ createdAt: s.createdAt, expiresAt: s.expiresAt })),
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  }
}

/** A body as JSON can carry it: UTF-8 text when it is valid text, base64 otherwise. */
export function bodyView(body: Buffer | null) {
  if (body === null) return { body: null, bodyEncoding: null }
  const text = body.toString('utf8')
  if (Buffer.byteLength(text) === body.length && !text.includes('\uFFFD')) return { body: text, bodyEncoding: 'utf8' as const }
  return { body: body.toString('base64'), bodyEncoding: 'base64' as const }
}

export function eventView(r: EventRow, opts: { withBody: boolean; credentialHeaders: 'mask' | 'show' }) {
  return {
    id: r.id,
    sourceId: r.source_id,
    sourceSlug: r.source_slug,
    receivedAt: iso(r.received_at),
    contentType: r.content_type,
    headers: shownHeaders(r.headers, opts.credentialHeaders),
    idempotencyKey: r.idempotency_key,
    fanoutStatus: r.fanout_status,
    /** Subscriptions whose filter rejected this event at fan-out: no delivery for them. */
    filteredSubscriptions: r.filtered_subscriptions ?? [],
    size: r.body.length,
    ...(opts.withBody ? bodyView(r.body) : {}),
  }
}

export function deliveryView(r: DeliveryRow) {
  return {
    id: r.id,
    eventId: r.event_id,
    subscriptionId: r.subscription_id,
    sourceId: r.source_id,
    origin: r.origin,
    webhookId: r.webhook_id,
    status: r.status,
    attemptCount: r.attempt_count,
    nextAttemptAt: CLAIMABLE.includes(r.status as DeliveryStatus) ? iso(r.next_attempt_at) : null,
    lastError: r.last_error,
    deadReason: r.dead_reason,
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
    completedAt: iso(r.completed_at),
  }
}

export function attemptView(a: AttemptRow) {
  const req = bodyView(a.request_body)
  const res = bodyView(a.response_body)
  return {
    number: a.number,
    status: a.outcome,
    startedAt: iso(a.started_at),
    durationMs: a.duration_ms,
    responseStatus: a.response_status,
    error: a.error,
    request: a.request_url ? { url: a.request_url, method: a.request_method, headers: a.request_headers, body: req.body, bodyEncoding: req.bodyEncoding } : null,
    response: a.response_status !== null ? { status: a.response_status, headers: a.response_headers, body: res.body, bodyEncoding: res.bodyEncoding } : null,
  }
}
