/**
 * Soak benchmark: a steady rate of signed ~1 KB GitHub webhooks for a long time, against
 * a PostgreSQL cluster this script starts itself with production-like settings
 * (loadtest/src/pg-cluster.ts: autovacuum on), with a retention short enough to cycle
 * partitions within the run. Every minute it prints: delivered/s, ingest p99, the
 * database size, rows in events, the age of the oldest event, dead tuples, partitions,
 * and CPU-seconds per 1,000 delivered (relay + the whole cluster + Redis). Size and
 * latency should plateau once the retention has come round; the script writes
 * soak.ndjson and soak.svg (the plot in docs/performance.md) to --out.
 *
 *   node loadtest/soak.ts                                   # 30 min at 500/s, 10 min retention
 *   node loadtest/soak.ts --minutes 5 --rate 300 --retention 2m
 */
import { randomBytes } from 'node:crypto'
import { appendFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import pg from 'pg'
import { ATTACK_TIMEOUT, MAX_WORKERS, type VegetaReport } from './src/attack.ts'
import { cpuSnapshot, cpuUsed } from './src/cpu.ts'
import { openWork } from './src/e2e.ts'
import { load1 } from './src/machine-load.ts'
import { startPgCluster } from './src/pg-cluster.ts'
import { REDIS_URL, startRelay } from './src/relay-harness.ts'
import { writeTargets, type TargetSpec } from './src/targets.ts'
import { requireVegeta } from './src/vegeta.ts'
import { soakSvg, type SoakMinute } from './src/soak-plot.ts'

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '500' },
    minutes: { type: 'string', default: '30' },
    retention: { type: 'string', default: '10m' },
    interval: { type: 'string' },
    workers: { type: 'string', default: '1' },
    out: { type: 'string', default: join('loadtest', 'results', `soak-${new Date().toISOString().replace(/[:.]/g, '-')}`) },
  },
})
const rate = Number(values.rate)
const minutes = Number(values.minutes)
const out = values.out!
mkdirSync(out, { recursive: true })
const vegeta = requireVegeta()

const cluster = startPgCluster()
process.on('exit', () => cluster.stop())
const relay = await startRelay({
  workers: Number(values.workers),
  pgHost: cluster.host,
  env: { RELAY_RETENTION: values.retention!, ...(values.interval ? { RELAY_PARTITION_INTERVAL: values.interval } : {}) },
})
const db = new pg.Client({ connectionString: relay.databaseUrl })
await db.connect()
const one = async <T>(text: string): Promise<T> => (await db.query(text)).rows[0] as T

try {
  const secret = randomBytes(20).toString('hex')
  const src = await relay.post('/sources', { name: 'soak', slug: 'github', verification: { type: 'github', secret } })
  await relay.post('/subscriptions', { sourceId: src.id, action: 'http-relay', config: { url: `${relay.subscriber.fast}/hook` } })
  const specs: TargetSpec[] = [{ provider: 'github', url: `${relay.base}/in/github`, secret, size: '1k' }]
  const cpuOf = { relayPids: [relay.apiPid, ...relay.workerPids], databaseUrl: relay.databaseUrl, redisUrl: REDIS_URL }

  console.log(`soak: ${rate}/s for ${minutes} min, retention ${values.retention}${values.interval ? `, partitions of ${values.interval}` : ''}, ${values.workers} worker(s); own PostgreSQL (autovacuum on); load ${load1()}`)
  console.log('min  delivered/s  ingest p99  db size   events rows  oldest  dead tuples  partitions  CPU-s/1k  load')
  const rows: SoakMinute[] = []
  const targetFile = (i: number) => join(out, `targets-${i % 2}.ndjson`)
  let next = writeTargets(targetFile(0), specs, rate * 60)
  let deliveredBefore = 0
  let accepted = 0
  for (let m = 1; m <= minutes; m++) {
    await next
    // The next minute's targets are written while this minute's attack runs.
    const file = targetFile(m - 1)
    const results = join(out, 'results.bin')
    const cpuStart = await cpuSnapshot(cpuOf)
    const attackRun = vegeta.run(['attack', '-format=json', '-lazy', `-targets=${file}`, `-rate=${rate}/1s`, '-duration=60s', `-timeout=${ATTACK_TIMEOUT}`, `-max-workers=${MAX_WORKERS}`, `-output=${results}`])
    next = m < minutes ? attackRun.then(() => writeTargets(targetFile(m), specs, rate * 60)) : attackRun.then(() => ({ count: 0, bodyBytes: 0 }))
    await attackRun
    await vegeta.run(['report', '-type=json', `-output=${join(out, 'report.json')}`, results])
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as VegetaReport
    accepted += report.status_codes['202'] ?? 0
    const cpu = cpuUsed(cpuStart, await cpuSnapshot(cpuOf))
    const delivered = Number((await (await fetch(`${relay.subscriber.control}/counts`)).json() as Record<string, number>).fast ?? 0)
    const stats = await one<{ size: string; events: string; oldest_s: number | null; dead: string; partitions: number }>(`
      SELECT pg_database_size(current_database()) AS size,
        (SELECT count(*) FROM events) AS events,
        extract(epoch FROM now() - (SELECT min(received_at) FROM events))::float8 AS oldest_s,
        (SELECT coalesce(sum(n_dead_tup), 0) FROM pg_stat_user_tables) AS dead,
        (SELECT count(*)::int FROM relay_partitions()) AS partitions`)
    const row: SoakMinute = {
      minute: m,
      deliveredPerS: (delivered - deliveredBefore) / 60,
      ingestP99Ms: report.latencies['99th'] / 1e6,
      success: report.success,
      dbBytes: Number(stats.size),
      eventsRows: Number(stats.events),
      oldestS: stats.oldest_s ?? 0,
      deadTuples: Number(stats.dead),
      partitions: stats.partitions,
      cpuPer1k: delivered > deliveredBefore ? ((cpu.relay + cpu.postgresAll + cpu.redis) / (delivered - deliveredBefore)) * 1000 : 0,
      load: load1(),
    }
    deliveredBefore = delivered
    rows.push(row)
    appendFileSync(join(out, 'soak.ndjson'), `${JSON.stringify(row)}\n`)
    console.log(`${String(m).padStart(3)}  ${row.deliveredPerS.toFixed(0).padStart(11)}  ${row.ingestP99Ms.toFixed(1).padStart(8)} ms  ${(row.dbBytes / 1048576).toFixed(0).padStart(5)} MB  ${String(row.eventsRows).padStart(11)}  ${row.oldestS.toFixed(0).padStart(5)} s  ${String(row.deadTuples).padStart(11)}  ${String(row.partitions).padStart(10)}  ${row.cpuPer1k.toFixed(2).padStart(8)}  ${row.load}${row.success < 1 ? `  (ingest success ${(row.success * 100).toFixed(2)} %)` : ''}`)
  }
  // Every accepted webhook delivered: wait for the last minute's to drain, then compare.
  const deadline = Date.now() + 120_000
  while ((await openWork(relay.databaseUrl)) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1000))
  const finalDelivered = Number(((await (await fetch(`${relay.subscriber.control}/counts`)).json()) as Record<string, number>).fast ?? 0)
  console.log(`accepted ${accepted}, delivered ${finalDelivered} (distinct webhook ids answered 200)${finalDelivered >= accepted ? '' : `: ${accepted - finalDelivered} MISSING`}`)
  // What the relay's storage maintenance cost the delivery path, from the server's log.
  const serverLog = readFileSync(cluster.logFile, 'utf8')
  const count = (re: RegExp) => (serverLog.match(re) ?? []).length
  // Which side a deadlock aborted: the STATEMENT line that follows its ERROR.
  const aborted = [...serverLog.matchAll(/ERROR: {2}deadlock detected[\s\S]*?STATEMENT: {2}([\s\S]*?)\n\d{4}-/g)].map((m) => (/relay_partition_/.test(m[1]!) ? 'ddl' : 'delivery path'))
  console.log(`server log: ${aborted.length} deadlocks (${aborted.filter((a) => a === 'ddl').length} aborted the partition DDL, ${aborted.filter((a) => a !== 'ddl').length} a statement of the delivery path), ${count(/ERROR: {2}canceling statement due to lock timeout/g)} lock timeouts (partition DDL giving way), ${count(/canceling autovacuum task/g)} autovacuum runs cancelled`)
  rmSync(join(out, 'results.bin'), { force: true })
  for (const i of [0, 1]) rmSync(targetFile(i), { force: true })
  writeFileSync(join(out, 'soak.svg'), soakSvg(rows, `${rate}/s for ${minutes} min, retention ${values.retention}`))
  console.log(`wrote ${join(out, 'soak.ndjson')} and ${join(out, 'soak.svg')}`)
} finally {
  await db.end().catch(() => {})
  await relay.stop()
  cluster.stop()
}
