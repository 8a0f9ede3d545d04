/**
 * Every PromQL expression the dashboards use, kept apart from the panels that draw them.
 * Dashboard queries filter on the `$source` and `$action` template variables and use
 * Grafana's `$__rate_interval`; alert expressions live in alerts/rules.ts.
 */
import { config } from './config.ts'

const RATE = '$__rate_interval'

/** Builds a selector from the relay job matcher plus extra matchers. */
export const sel = (...matchers: string[]): string => `{${[config.relaySelector, ...matchers].join(', ')}}`

const SOURCE = 'source=~"$source"'
const ACTION = 'action=~"$action"'

const quantile = (q: number, metric: string, matchers: string[], by: string[] = []): string =>
  `histogram_quantile(${q}, sum by (${['le', ...by].join(', ')}) (rate(${metric}_bucket${sel(...matchers)}[${RATE}])))`

/** P50/P95/P99 as three targets with matching legends. */
export const quantiles = (metric: string, matchers: string[], by: string[] = []) =>
  [0.5, 0.95, 0.99].map((q) => ({
    expr: quantile(q, metric, matchers, by),
    legend: `p${Math.round(q * 100)}${by.map((l) => ` {{${l}}}`).join('')}`,
  }))

export const q = {
  // Ingest
  ingestRateBySource: `sum by (source) (rate(webhooks_received_total${sel(SOURCE)}[${RATE}]))`,
  ingestAcceptedRate: `sum(rate(webhooks_received_total${sel(SOURCE, 'outcome="accepted"')}[${RATE}]))`,
  ingestRateByOutcome: `sum by (outcome) (rate(webhooks_received_total${sel(SOURCE)}[${RATE}]))`,
  ingestRejectedBySource: `sum by (source, outcome) (rate(webhooks_received_total${sel(SOURCE, 'outcome!~"accepted|duplicate"')}[${RATE}]))`,
  ingestLatency: quantiles('ingest_duration_seconds', [SOURCE]),
  ingestBatchSize: quantiles('ingest_batch_size', []),
  ingestBatchRate: `sum(rate(ingest_batch_size_count${sel()}[${RATE}]))`,

  // Delivery
  deliveryRateByOutcome: `sum by (outcome) (rate(deliveries_attempted_total${sel(SOURCE, ACTION)}[${RATE}]))`,
  deliverySuccessRatio:
    `sum(rate(deliveries_attempted_total${sel(SOURCE, ACTION, 'outcome="ok"')}[${RATE}]))` +
    ` / sum(rate(deliveries_attempted_total${sel(SOURCE, ACTION)}[${RATE}]))`,
  deliveryErrorsByStatusClass: `sum by (status_class) (rate(delivery_errors_total${sel(SOURCE, ACTION)}[${RATE}]))`,
  deliveryErrorsBySourceAction: `sum by (source, action, status_class) (rate(delivery_errors_total${sel(SOURCE, ACTION)}[${RATE}]))`,
  deliveryLatency: quantiles('delivery_duration_seconds', [SOURCE, ACTION]),
  endToEndLatency: quantiles('end_to_end_latency_seconds', [SOURCE, ACTION]),
  deferredRate: `sum(rate(deliveries_deferred_total${sel()}[${RATE}]))`,
  deadLetteredRate: `sum by (source, action, reason) (rate(deliveries_dead_total${sel(SOURCE, ACTION)}[${RATE}]))`,
  // Failover: both counters have a series only once something happened, hence the 0.
  takeoverRate: `sum by (stream) (rate(stream_takeovers_total${sel()}[${RATE}])) or vector(0)`,
  staleWriteRate: `sum by (transition) (rate(delivery_stale_writes_total${sel()}[${RATE}])) or vector(0)`,

  // Per-action breakdown
  actionAttemptRate: `sum by (action) (rate(deliveries_attempted_total${sel(SOURCE, ACTION)}[${RATE}]))`,
  actionSuccessRatio:
    `sum by (action) (rate(deliveries_attempted_total${sel(SOURCE, ACTION, 'outcome="ok"')}[${RATE}]))` +
    ` / sum by (action) (rate(deliveries_attempted_total${sel(SOURCE, ACTION)}[${RATE}]))`,
  actionLatencyP95: quantile(0.95, 'delivery_duration_seconds', [SOURCE, ACTION], ['action']),
  actionEndToEndP95: quantile(0.95, 'end_to_end_latency_seconds', [SOURCE, ACTION], ['action']),
  actionRateByOutcome: `sum by (action, outcome) (rate(deliveries_attempted_total${sel(SOURCE, ACTION)}[${RATE}]))`,
  actionLatencyQuantiles: quantiles('delivery_duration_seconds', [SOURCE, ACTION], ['action']),
  sourceActionAttemptRate: `sum by (source, action) (rate(deliveries_attempted_total${sel(SOURCE, ACTION)}[${RATE}]))`,

  // Queues and streams: gauges that several processes may export, so take the max.
  retryQueueDepth: `max(retry_queue_depth${sel()})`,
  dlqDepth: `max(dlq_depth${sel()})`,
  pausedDepth: `max(deliveries_paused${sel()})`,
  streamLag: `max by (stream, group) (stream_lag${sel()})`,
  streamPending: `max by (stream, group) (stream_pending${sel()})`,
  activeSubscriptionsBySource: `max by (source) (active_subscriptions${sel(SOURCE)})`,
  activeSubscriptionsTotal: `sum(max by (source) (active_subscriptions${sel(SOURCE)}))`,

  // Runtime
  up: `up${sel()}`,
  /** Processes that deliver: workers plus all-in-one processes (which are scraped as the api job). */
  deliveringProcesses: `count(relay_info${sel('role=~"worker|all"')}) or vector(0)`,
  relayInfo: `max by (version, role, instance) (relay_info${sel()})`,
  pgUp: `min by (job, instance) (pg_up${sel()})`,
  redisUp: `min by (job, instance) (redis_up${sel()})`,
  pgPool: `sum by (state) (pg_pool_connections${sel()})`,
  cpu: `sum by (job, instance) (rate(process_cpu_seconds_total${sel()}[${RATE}]))`,
  memory: `sum by (job, instance) (process_resident_memory_bytes${sel()})`,
  eventLoopLag: `max by (job, instance) (nodejs_eventloop_lag_seconds${sel()})`,
} as const
