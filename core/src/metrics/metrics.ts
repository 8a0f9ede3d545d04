/**
 * Every Prometheus metric the relay exports, declared once (catalogue: docs/metrics.md).
 * Labels stay low-cardinality: source slug, action name, outcome, status class; never
 * event ids or URLs. Each process builds its own Registry so tests can run several
 * relays in one process.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

export const INGEST_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1]
export const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256]
export const DELIVERY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]
export const E2E_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600]

export type IngestOutcome = 'accepted' | 'duplicate' | 'rejected_signature' | 'too_large' | 'not_found' | 'unavailable' | 'disabled'
export type StatusClass = '3xx' | '4xx' | '5xx' | 'timeout' | 'network' | 'refused' | 'transform' | 'other'

export function createMetrics(opts: { role: string; version: string; defaultMetrics?: boolean }) {
  const registry = new Registry()
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry })
  const r = [registry]
  const m = {
    registry,
    webhooksReceived: new Counter({ name: 'webhooks_received_total', help: 'Webhooks received at /in/:slug, by outcome', labelNames: ['source', 'outcome'], registers: r }),
    ingestDuration: new Histogram({ name: 'ingest_duration_seconds', help: 'Ingest request received to response sent', labelNames: ['source'], buckets: INGEST_BUCKETS, registers: r }),
    ingestBatchSize: new Histogram({ name: 'ingest_batch_size', help: 'Rows per ingest group commit', buckets: BATCH_BUCKETS, registers: r }),
    deliveriesAttempted: new Counter({ name: 'deliveries_attempted_total', help: 'Delivery attempts, by outcome (ok, retry, fail)', labelNames: ['source', 'action', 'outcome'], registers: r }),
    deliveryDuration: new Histogram({ name: 'delivery_duration_seconds', help: 'Duration of one delivery attempt (transform and plugin call)', labelNames: ['source', 'action', 'outcome'], buckets: DELIVERY_BUCKETS, registers: r }),
    deliveryErrors: new Counter({ name: 'delivery_errors_total', help: 'Failed delivery attempts, by status class', labelNames: ['source', 'action', 'status_class'], registers: r }),
    eventsFiltered: new Counter({ name: 'events_filtered_total', help: 'Subscriptions an event was not delivered to because their filter rejected it (one per event and subscription; no delivery created)', registers: r }),
    deliveriesDeferred: new Counter({ name: 'deliveries_deferred_total', help: 'Deliveries handed back to the retry set by the per-subscription fairness gate (no attempt counted)', registers: r }),
    deliveriesThrottled: new Counter({ name: 'deliveries_throttled_total', help: "Deliveries over their subscription's rate limit, given a later slot to start at (counted once each; no attempt counted)", labelNames: ['action'], registers: r }),
    circuitTransitions: new Counter({ name: 'circuit_transitions_total', help: "Subscriptions' circuit breakers: opened (failing), reopened (a probe failed), closed (a probe succeeded), disabled (failing too long)", labelNames: ['transition'], registers: r }),
    staleWrites: new Counter({ name: 'delivery_stale_writes_total', help: 'Writes refused by the claim fence: the claim had been taken over (its lease ran out or its worker was presumed dead)', labelNames: ['transition'], registers: r }),
    takeovers: new Counter({ name: 'stream_takeovers_total', help: 'Stream entries taken over from workers whose liveness key lapsed', labelNames: ['stream'], registers: r }),
    deliveriesDead: new Counter({ name: 'deliveries_dead_total', help: 'Deliveries that went dead, by reason', labelNames: ['source', 'action', 'reason'], registers: r }),
    endToEnd: new Histogram({ name: 'end_to_end_latency_seconds', help: 'Event received to successful delivery', labelNames: ['source', 'action'], buckets: E2E_BUCKETS, registers: r }),
    retryQueueDepth: new Gauge({ name: 'retry_queue_depth', help: 'Deliveries waiting in the retry sorted set', registers: r }),
    dlqDepth: new Gauge({ name: 'dlq_depth', help: 'Deliveries in status dead', registers: r }),
    pausedDepth: new Gauge({ name: 'deliveries_paused', help: 'Deliveries paused because their subscription is disabled', registers: r }),
    streamLag: new Gauge({ name: 'stream_lag', help: 'Stream entries not yet read by the consumer group', labelNames: ['stream', 'group'], registers: r }),
    streamPending: new Gauge({ name: 'stream_pending', help: 'Stream entries read but not acknowledged', labelNames: ['stream', 'group'], registers: r }),
    activeSubscriptions: new Gauge({ name: 'active_subscriptions', help: 'Enabled subscriptions per source', labelNames: ['source'], registers: r }),
    pgPool: new Gauge({ name: 'pg_pool_connections', help: 'Postgres pool connections by state', labelNames: ['state'], registers: r }),
    pgUp: new Gauge({ name: 'pg_up', help: '1 when Postgres answered the last health check', registers: r }),
    redisUp: new Gauge({ name: 'redis_up', help: '1 when Redis answered the last health check', registers: r }),
    info: new Gauge({ name: 'relay_info', help: 'Relay build and role', labelNames: ['version', 'role'], registers: r }),
  }
  m.info.set({ version: opts.version, role: opts.role }, 1)
  return m
}

export type Metrics = ReturnType<typeof createMetrics>

/** Maps an attempt's failure to the status_class label. */
export function statusClass(status: number | undefined, error: string | undefined): StatusClass {
  if (status !== undefined) {
    if (status >= 500) return '5xx'
    if (status >= 400) return '4xx'
    if (status >= 300) return '3xx'
  }
  if (!error) return 'other'
  if (/timeout|aborted/i.test(error)) return 'timeout'
  if (/RELAY_ERR_EGRESS_REFUSED|refused by the egress guard/i.test(error)) return 'refused'
  if (/^transform/i.test(error)) return 'transform'
  if (/ECONN|ENOTFOUND|EAI_AGAIN|socket|network|fetch failed/i.test(error)) return 'network'
  return 'other'
}
