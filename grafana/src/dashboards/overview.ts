/**
 * Overview: one webhook's life from left to right. Ingest, fan-out and delivery rates,
 * latency, the retry queue and dead-letter queue, stream lag, subscriptions per source.
 */
import { config } from '../config.ts'
import type { DashboardSpec } from '../grafana/dashboard.ts'
import { logsLink, tracesLink } from '../grafana/links.ts'
import { bargauge, ceilingThresholds, latencyThresholds, ratioThresholds, stat, timeseries } from '../grafana/panels.ts'
import { q } from '../queries.ts'

const t = config.thresholds

export const overview: DashboardSpec = {
  uid: 'webhook-relay-overview',
  title: 'Webhook Relay / Overview',
  description: 'Ingest, delivery, retries, dead letters and stream lag of Webhook Relay.',
  rows: [
    {
      title: 'Now',
      panels: [
        stat({ title: 'Accepted webhooks/s', description: 'Webhooks stored and answered 202 per second.', queries: [{ expr: q.ingestAcceptedRate }], unit: 'reqps' }),
        stat({
          title: 'Delivery success',
          description: 'Share of delivery attempts that succeeded (retries and failures count against it).',
          queries: [{ expr: q.deliverySuccessRatio }],
          unit: 'percentunit', min: 0, max: 1,
          thresholds: ratioThresholds(t.successRatioWarn, t.successRatioCrit),
          links: [tracesLink(true), logsLink(true)],
        }),
        stat({
          title: 'Retry queue',
          description: 'Deliveries waiting for their next attempt.',
          queries: [{ expr: q.retryQueueDepth }],
          thresholds: ceilingThresholds(t.retryQueueDepth / 2, t.retryQueueDepth),
        }),
        stat({
          title: 'Dead letters',
          description: 'Deliveries in the dead-letter queue, waiting for a person to inspect or replay them.',
          queries: [{ expr: q.dlqDepth }],
          thresholds: ceilingThresholds(1, 100),
        }),
        stat({ title: 'Active subscriptions', description: 'Enabled subscriptions of the selected sources.', queries: [{ expr: q.activeSubscriptionsTotal }] }),
        stat({
          title: 'Delivering processes',
          description: 'Worker and all-in-one processes Prometheus scrapes: 0 means nothing is fanned out or delivered.',
          queries: [{ expr: q.deliveringProcesses }],
          thresholds: [{ color: 'red', value: null }, { color: 'green', value: 1 }],
        }),
      ],
    },
    {
      title: 'Ingest',
      panels: [
        timeseries({ title: 'Ingest rate by source', description: 'Webhooks received per second, every outcome.', queries: [{ expr: q.ingestRateBySource, legend: '{{source}}' }], unit: 'reqps', stack: true, links: [logsLink()] }),
        timeseries({ title: 'Ingest outcomes', description: 'accepted, duplicate, rejected_signature, too_large, not_found, unavailable, disabled.', queries: [{ expr: q.ingestRateByOutcome, legend: '{{outcome}}' }], unit: 'reqps', stack: true, links: [logsLink(true)] }),
        timeseries({ title: 'Ingest latency', description: 'Request received to 202 sent, including the group commit.', queries: q.ingestLatency, unit: 's', thresholds: latencyThresholds() }),
      ],
    },
    {
      title: 'Delivery',
      panels: [
        timeseries({ title: 'Delivery attempts by outcome', description: 'ok, retry (will be tried again) and fail (permanent or exhausted).', queries: [{ expr: q.deliveryRateByOutcome, legend: '{{outcome}}' }], unit: 'ops', stack: true, links: [tracesLink(), logsLink()] }),
        timeseries({
          title: 'Delivery success ratio',
          description: 'Successful attempts over all attempts.',
          queries: [{ expr: q.deliverySuccessRatio, legend: 'success' }],
          unit: 'percentunit', min: 0, max: 1,
          thresholds: ratioThresholds(t.successRatioWarn, t.successRatioCrit),
          links: [tracesLink(true)],
        }),
        timeseries({ title: 'Delivery errors by status class', description: 'Why attempts failed: HTTP status class, timeout, network, refused (SSRF guard), transform.', queries: [{ expr: q.deliveryErrorsByStatusClass, legend: '{{status_class}}' }], unit: 'ops', stack: true, links: [tracesLink(true), logsLink(true)] }),
        timeseries({ title: 'Delivery latency (one attempt)', description: 'Duration of one plugin call, every outcome.', queries: q.deliveryLatency, unit: 's', width: 12, thresholds: latencyThresholds(), links: [tracesLink()] }),
        timeseries({ title: 'End-to-end latency', description: 'Event received to successful delivery, retries included.', queries: q.endToEndLatency, unit: 's', width: 12, links: [tracesLink()] }),
      ],
    },
    {
      title: 'Queues',
      panels: [
        timeseries({ title: 'Retry queue depth', description: 'Members of the retry sorted set over time.', queries: [{ expr: q.retryQueueDepth, legend: 'retrying' }], thresholds: ceilingThresholds(t.retryQueueDepth / 2, t.retryQueueDepth) }),
        timeseries({ title: 'Dead-letter queue depth', description: 'Deliveries in status dead over time.', queries: [{ expr: q.dlqDepth, legend: 'dead' }] }),
        timeseries({ title: 'Paused deliveries', description: 'Deliveries held because their subscription is disabled; enabling it sends them.', queries: [{ expr: q.pausedDepth, legend: 'paused' }], width: 8 }),
        timeseries({ title: 'Failover: entries taken over', description: 'Stream entries per second taken over from workers whose liveness key lapsed (crash, kill -9, lost node).', queries: [{ expr: q.takeoverRate, legend: '{{stream}}' }], unit: 'ops', width: 8 }),
        timeseries({ title: 'Failover: stale writes refused', description: 'Outcomes and deferrals per second refused by the claim fence: the claim had been taken over. Nonzero only around a failover or a stalled worker.', queries: [{ expr: q.staleWriteRate, legend: '{{transition}}' }], unit: 'ops', width: 8 }),
        timeseries({ title: 'Dead-lettered per second', description: 'New dead letters by reason: exhausted (retries used up) or permanent (plugin said fail).', queries: [{ expr: q.deadLetteredRate, legend: '{{source}} / {{action}} ({{reason}})' }], unit: 'ops', links: [tracesLink(true), logsLink(true)] }),
        timeseries({ title: 'Stream lag', description: 'Entries not yet read by the consumer group (XINFO GROUPS lag).', queries: [{ expr: q.streamLag, legend: '{{stream}} / {{group}}' }], width: 12, thresholds: ceilingThresholds(t.streamLag / 2, t.streamLag) }),
        timeseries({ title: 'Stream pending', description: 'Entries read but not yet acknowledged (in flight or held by a crashed consumer).', queries: [{ expr: q.streamPending, legend: '{{stream}} / {{group}}' }], width: 12 }),
      ],
    },
    {
      title: 'Subscriptions',
      panels: [
        bargauge({ title: 'Active subscriptions per source', description: 'Enabled subscriptions of each source.', queries: [{ expr: q.activeSubscriptionsBySource, legend: '{{source}}' }], width: 24, height: 6 }),
      ],
    },
  ],
}
