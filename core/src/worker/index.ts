/**
 * The worker: fan-out and delivery consumers, its liveness key and the failover that
 * takes over dead workers' entries, the retry mover, the reconciler, the circuit
 * breaker's task and stream trimming. startWorker returns a handle whose stop() is the graceful shutdown: stop
 * reading, finish in-flight deliveries (bounded), record them, stop the timers, and
 * delete the liveness key last.
 */
import { hostname } from 'node:os'
import { randomBytes } from 'node:crypto'
import type { Logger } from 'pino'
import type { Db } from '../db/pool.ts'
import type { RetryPolicy } from '../delivery/retry-policy.ts'
import type { Metrics } from '../metrics/metrics.ts'
import type { HttpClient, Signer, TcpConnect } from '../plugin/contract.ts'
import type { PluginHost } from '../plugin/host.ts'
import type { RelayRedis } from '../redis/client.ts'
import { DELIVER_GROUP, FANOUT_GROUP, type Keys } from '../redis/keys.ts'
import type { SecretBox } from '../secrets/secret-box.ts'
import type { TrafficRollup } from '../traffic/rollup.ts'
import type { TransformRunner } from '../transform/types.ts'
import { startLiveness } from '../queue/liveness.ts'
import { DeliverStage } from './deliver.ts'
import { startFailover } from './failover.ts'
import { headroom } from './subscription-gate.ts'
import { fanoutHandler } from './fanout.ts'
import type { CircuitSettings } from '../delivery/circuit-breaker.ts'
import { systemEvents } from '../system-events.ts'
import { startCircuitTask } from './circuit-task.ts'
import { startReconciler } from './reconciler.ts'
import { startRetention, type StoragePolicy } from './retention.ts'
import { startRetryMover } from './retry-mover.ts'
import { StreamConsumer } from './stream-consumer.ts'
import { trimAcked } from './stream-info.ts'

const BLOCK_MS = 1_000
const TRIM_INTERVAL_MS = 10_000

export interface WorkerDeps {
  db: Db
  redis: RelayRedis
  keys: Keys
  plugins: PluginHost
  box: SecretBox
  http: HttpClient
  connect: TcpConnect
  signer: Signer
  transforms: TransformRunner | null
  metrics: Metrics
  /** Counts each recorded attempt for the overview's charts. */
  traffic: TrafficRollup
  log: Logger
  retry: RetryPolicy
  concurrency: number
  subscriptionConcurrency: number
  readCount: number
  timeoutMaxMs: number
  attemptBodyMaxBytes: number
  reclaimIdleMs: number
  /** A worker whose liveness key is this old is dead: its work is taken over. */
  livenessTtlMs: number
  reconcileIntervalMs: number
  reconcileGraceMs: number
  moverIntervalMs?: number
  /** Circuit breaker settings of subscriptions that set none, and how often its task runs. */
  circuitDefaults: CircuitSettings
  circuitIntervalMs: number
  /** Retention and partition interval (RELAY_RETENTION, RELAY_PARTITION_INTERVAL). */
  storage: StoragePolicy
}

export interface WorkerHandle {
  readonly consumer: string
  stop(graceMs: number): Promise<void>
  /** Runs the reconciler once now (tests, and the first run at boot). */
  reconcile(): Promise<unknown>
  /** Runs the circuit task once now (tests). */
  circuits(): Promise<void>
}

export async function startWorker(d: WorkerDeps): Promise<WorkerHandle> {
  const consumer = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`
  const log = d.log.child({ consumer })
  const deliver = new DeliverStage({ ...d, consumer, log })
  // Before the first read, so no other worker ever sees this consumer without its key.
  const liveness = await startLiveness({ redis: d.redis, keys: d.keys, consumer, ttlMs: d.livenessTtlMs, log })
  // The dead-letter stream of earlier versions was never read; it only grew.
  await d.redis.del(d.keys.retiredDlq).catch(() => {})
  let fanoutBusy = false

  const fanout = new StreamConsumer({
    cmd: d.redis,
    block: d.redis.duplicate() as RelayRedis,
    stream: d.keys.events,
    group: FANOUT_GROUP,
    consumer,
    readCount: d.readCount,
    blockMs: BLOCK_MS,
    reclaimIdleMs: d.reclaimIdleMs,
    reclaimIntervalMs: Math.max(250, Math.floor(d.reclaimIdleMs / 2)),
    capacity: () => (fanoutBusy ? 0 : d.readCount),
    handle: async (entries) => {
      fanoutBusy = true
      try {
        await handleFanout(entries)
      } finally {
        fanoutBusy = false
      }
    },
    log,
  })
  const handleFanout = fanoutHandler({ ...d, onFiltered: (n) => d.metrics.eventsFiltered.inc(n) })

  const deliveries = new StreamConsumer({
    cmd: d.redis,
    block: d.redis.duplicate() as RelayRedis,
    stream: d.keys.deliveries,
    group: DELIVER_GROUP,
    consumer,
    readCount: d.readCount,
    blockMs: BLOCK_MS,
    reclaimIdleMs: d.reclaimIdleMs,
    reclaimIntervalMs: Math.max(250, Math.floor(d.reclaimIdleMs / 2)),
    // Read in batches: wait until the headroom is free (or none is busy), so claiming,
    // loading and recording cost a few queries per batch, not per delivery. The gate keeps
    // backed-up subscriptions out of the headroom, so they cannot stop the reading.
    capacity: () => {
      const free = deliverCapacity()
      return free >= Math.min(d.readCount, headroom(d.concurrency)) || deliver.inFlight === 0 ? free : 0
    },
    handle: (entries) => deliver.handle(entries),
    log,
  })
  deliver.onIdle = () => deliveries.notify()
  const deliverCapacity = () => d.concurrency - deliver.inFlight

  const reconciler = startReconciler({ db: d.db, redis: d.redis, keys: d.keys, log, graceMs: d.reconcileGraceMs, lockMs: Math.max(d.reconcileIntervalMs * 4, 10_000), intervalMs: d.reconcileIntervalMs })
  // Before consuming: if Redis lost its data while we were down, refill it first.
  await reconciler.tick()
  await fanout.start()
  await deliveries.start()
  const failover = startFailover({
    redis: d.redis,
    keys: d.keys,
    consumer,
    metrics: d.metrics,
    log,
    streams: [
      { stream: d.keys.events, group: FANOUT_GROUP, capacity: () => d.readCount, handle: (entries) => handleFanout(entries) },
      { stream: d.keys.deliveries, group: DELIVER_GROUP, capacity: () => Math.min(d.readCount, deliverCapacity()), handle: deliver.handle },
    ],
  })
  const mover = startRetryMover({ redis: d.redis, keys: d.keys, log, intervalMs: d.moverIntervalMs })
  const circuits = startCircuitTask({ db: d.db, redis: d.redis, keys: d.keys, log, metrics: d.metrics, events: systemEvents({ redis: d.redis, keys: d.keys, log }), defaults: d.circuitDefaults, intervalMs: d.circuitIntervalMs })
  const retention = startRetention({ db: d.db, redis: d.redis, lockKey: d.keys.retentionLock, policy: d.storage, log })
  const trimmer = setInterval(() => {
    void trimAcked(d.redis, d.keys.events, FANOUT_GROUP).catch(() => {})
    void trimAcked(d.redis, d.keys.deliveries, DELIVER_GROUP).catch(() => {})
  }, TRIM_INTERVAL_MS)
  trimmer.unref()
  log.info({ concurrency: d.concurrency }, 'worker started')

  return {
    consumer,
    reconcile: () => reconciler.run(),
    circuits: () => circuits.run(),
    async stop(graceMs) {
      log.info({ inFlight: deliver.inFlight }, 'worker stopping: no new reads, finishing in-flight deliveries')
      mover.stop()
      reconciler.stop()
      circuits.stop()
      retention.stop()
      clearInterval(trimmer)
      await Promise.all([fanout.stop(), deliveries.stop(), failover.stop()])
      await deliver.drain(graceMs)
      await liveness.stop()
      log.info('worker stopped')
    },
  }
}
