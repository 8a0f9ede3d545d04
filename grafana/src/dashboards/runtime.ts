/**
 * Runtime: the processes and their dependencies. Scrape health, Postgres pool, Redis and
 * Postgres reachability, group-commit batch sizes, CPU, memory and event-loop lag.
 */
import type { DashboardSpec } from '../grafana/dashboard.ts'
import { logsLink } from '../grafana/links.ts'
import { table, timeseries } from '../grafana/panels.ts'
import { q } from '../queries.ts'

const upMapping = [{ type: 'value', options: { '0': { text: 'down', color: 'red' }, '1': { text: 'up', color: 'green' } } }]

export const runtime: DashboardSpec = {
  uid: 'webhook-relay-runtime',
  title: 'Webhook Relay / Runtime',
  description: 'Processes, Postgres pool, Redis and Postgres health, batching, CPU, memory and event-loop lag.',
  rows: [
    {
      title: 'Processes',
      panels: [
        table({
          title: 'Relay processes',
          description: 'Every scraped relay process with its version and role.',
          queries: [{ expr: q.relayInfo }],
          width: 12, height: 6,
          transformations: [{ id: 'organize', options: { excludeByName: { Time: true, Value: true } } }],
        }),
        timeseries({
          title: 'Scrape up',
          description: '1 while Prometheus can scrape the process.',
          queries: [{ expr: q.up, legend: '{{job}} {{instance}}' }],
          width: 12, height: 6, min: 0, max: 1,
          options: {},
          overrides: [{ matcher: { id: 'byFrameRefID', options: 'A' }, properties: [{ id: 'mappings', value: upMapping }] }],
          links: [logsLink(true)],
        }),
      ],
    },
    {
      title: 'Dependencies',
      panels: [
        timeseries({ title: 'Postgres reachable', description: 'pg_up per process: 1 when the last health query succeeded.', queries: [{ expr: q.pgUp, legend: '{{job}} {{instance}}' }], min: 0, max: 1, links: [logsLink(true)] }),
        timeseries({ title: 'Redis reachable', description: 'redis_up per process.', queries: [{ expr: q.redisUp, legend: '{{job}} {{instance}}' }], min: 0, max: 1, links: [logsLink(true)] }),
        timeseries({ title: 'Postgres pool', description: 'Connections by state, summed over processes; waiting > 0 means the pool is too small.', queries: [{ expr: q.pgPool, legend: '{{state}}' }] }),
        timeseries({ title: 'Group-commit batch size', description: 'Rows per ingest INSERT (P50/P95/P99): larger under load is the batcher working.', queries: q.ingestBatchSize }),
        timeseries({ title: 'Group commits per second', description: 'INSERT batches per second.', queries: [{ expr: q.ingestBatchRate, legend: 'batches' }], unit: 'ops' }),
      ],
    },
    {
      title: 'Node.js',
      panels: [
        timeseries({ title: 'CPU', description: 'CPU seconds per second per process.', queries: [{ expr: q.cpu, legend: '{{job}} {{instance}}' }], unit: 'percentunit' }),
        timeseries({ title: 'Resident memory', description: 'RSS per process.', queries: [{ expr: q.memory, legend: '{{job}} {{instance}}' }], unit: 'bytes' }),
        timeseries({ title: 'Event-loop lag', description: 'A busy loop delays every request and delivery.', queries: [{ expr: q.eventLoopLag, legend: '{{job}} {{instance}}' }], unit: 's' }),
      ],
    },
  ],
}
