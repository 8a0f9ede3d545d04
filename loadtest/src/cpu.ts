/**
 * CPU-seconds spent on a run, by everything that serves it: the relay's processes and
 * their children (the transform sandbox), the PostgreSQL backends connected to the run's
 * database, every PostgreSQL process (WAL writer, checkpointer, autovacuum: shared by the
 * cluster, so only meaningful when nothing else uses it), and Redis (INFO cpu, the whole
 * server). Read from /proc (utime + stime) at the start and at the end of the run; a
 * backend that disconnects in between is lost to the count, which is why the relay's
 * pools stay open for the run (their idle timeout is 30 s).
 */
import { readdirSync, readFileSync } from 'node:fs'
import pg from 'pg'
import { Redis } from 'ioredis'

const TICKS_PER_SECOND = 100

interface ProcStat { pid: number; ppid: number; comm: string; ticks: number }

function stat(pid: number): ProcStat | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // comm is in parentheses and may hold spaces; the fields after it are space-separated.
    const close = s.lastIndexOf(')')
    const rest = s.slice(close + 2).split(' ')
    return { pid, comm: s.slice(s.indexOf('(') + 1, close), ppid: Number(rest[1]), ticks: Number(rest[11]) + Number(rest[12]) }
  } catch {
    return undefined
  }
}

function allProcs(): ProcStat[] {
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map((d) => stat(Number(d))).filter((p): p is ProcStat => !!p)
}

/** The given processes and all their descendants. */
function tree(roots: readonly number[], procs: readonly ProcStat[]): ProcStat[] {
  const inTree = new Set(roots)
  let grew = true
  while (grew) {
    grew = false
    for (const p of procs) {
      if (!inTree.has(p.pid) && inTree.has(p.ppid)) {
        inTree.add(p.pid)
        grew = true
      }
    }
  }
  return procs.filter((p) => inTree.has(p.pid))
}

export interface CpuSnapshot { relay: Map<number, number>; pgDb: Map<number, number>; pgAll: Map<number, number>; redis: number }
export interface CpuUsage { relay: number; postgresDb: number; postgresAll: number; redis: number }

export async function cpuSnapshot(o: { relayPids: readonly number[]; databaseUrl: string; redisUrl: string }): Promise<CpuSnapshot> {
  const procs = allProcs()
  const client = new pg.Client({ connectionString: o.databaseUrl })
  await client.connect()
  const dbName = new URL(o.databaseUrl).pathname.slice(1)
  const backends = new Set((await client.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [dbName])).rows.map((r) => r.pid))
  await client.end()
  const redis = new Redis(o.redisUrl)
  const info = await redis.info('cpu')
  redis.disconnect()
  const num = (k: string) => Number(new RegExp(`${k}:([\\d.]+)`).exec(info)?.[1] ?? 0)
  const ticks = (ps: readonly ProcStat[]) => new Map(ps.map((p) => [p.pid, p.ticks]))
  return {
    relay: ticks(tree(o.relayPids, procs)),
    pgDb: ticks(procs.filter((p) => backends.has(p.pid))),
    pgAll: ticks(procs.filter((p) => p.comm === 'postgres')),
    redis: num('used_cpu_sys') + num('used_cpu_user'),
  }
}

/** CPU-seconds between two snapshots; a process only in `end` counts from zero. */
export function cpuUsed(start: CpuSnapshot, end: CpuSnapshot): CpuUsage {
  const delta = (a: Map<number, number>, b: Map<number, number>) => [...b].reduce((n, [pid, t]) => n + t - (a.get(pid) ?? 0), 0) / TICKS_PER_SECOND
  const round = (n: number) => Math.round(n * 100) / 100
  return {
    relay: round(delta(start.relay, end.relay)),
    postgresDb: round(delta(start.pgDb, end.pgDb)),
    postgresAll: round(delta(start.pgAll, end.pgAll)),
    redis: round(end.redis - start.redis),
  }
}
