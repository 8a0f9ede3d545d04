/**
 * The one place for selectors, thresholds and names shared by dashboards and alerts
 * (kubernetes-mixin style). Change a job label or a threshold here, run
 * `node grafana/src/generate.ts`, and every dashboard, rule and the query list follow.
 */

export const config = {
  /** Prometheus job labels: the all-in-one role is scraped under the api job. */
  jobs: {
    api: 'webhook-relay-api',
    worker: 'webhook-relay-worker',
  },
  /** Added to every relay metric selector, so other exporters' series never mix in. */
  relaySelector: 'job=~"webhook-relay-(api|worker)"',

  /** Fixed datasource uids, provisioned by deploy/compose/grafana and the Helm chart. */
  datasources: {
    prometheus: { uid: 'prometheus', name: 'Prometheus' },
    tempo: { uid: 'tempo', name: 'Tempo' },
    loki: { uid: 'loki', name: 'Loki' },
  },

  /** OTel resource service names, as the relay's tracer and the log shipper label them. */
  services: {
    api: 'webhook-relay-api',
    worker: 'webhook-relay-worker',
  },
  /** Span attributes the relay sets on its own spans; the trace links filter on them. */
  traceAttributes: {
    source: 'webhook.source',
    action: 'webhook.action',
  },

  dashboards: {
    tags: ['webhook-relay'],
    refresh: '30s',
    timeFrom: 'now-3h',
  },

  /** Stream and consumer-group names as the worker reports them in stream_lag/stream_pending. */
  streams: {
    events: { stream: 'relay:v1:events', group: 'fanout' },
    deliveries: { stream: 'relay:v1:deliveries', group: 'deliver' },
  },

  runbookBaseUrl: 'https://github.com/webhook-relay/webhook-relay/blob/main/docs/observability.md',

  thresholds: {
    /** Share of attempts per source/action that end in retry or fail. */
    deliveryErrorRatio: 0.05,
    /** Ignore the error ratio below this many attempts per second (a single failure of two is noise). */
    deliveryErrorMinRate: 0.01,
    deliveryErrorWindow: '5m',
    deliveryErrorFor: '10m',
    /** Any dead-lettered delivery in the window is worth a look. */
    deadLetterWindow: '15m',
    deadLetterIncrease: 0,
    retryQueueDepth: 1000,
    retryQueueFor: '15m',
    streamLag: 1000,
    streamLagFor: '10m',
    /** No accepted webhook in `noIngestWindow`, while the same window a day earlier had at least `noIngestBaselineEvents`. */
    noIngestWindow: '1h',
    noIngestBaselineEvents: 10,
    noIngestFor: '15m',
    targetDownFor: '5m',
    dependencyDownFor: '2m',
    /** Dashboard colours: latency turns yellow/red past these seconds. */
    latencyWarnSeconds: 1,
    latencyCritSeconds: 5,
    successRatioWarn: 0.99,
    successRatioCrit: 0.95,
  },
} as const

export type Config = typeof config
