/**
 * End-to-end numbers, from three independent records: what vegeta was told (202 with
 * an eventId), what Postgres holds (each delivery's webhook-id and its event's
 * received_at), and what the subscriber saw (webhook-id, arrival time, status). Loss is
 * judged against vegeta's 202s, so a relay that dropped an event before storing it
 * could not hide it.
 */
import pg from 'pg'
import type { Arrival } from '../subscriber.ts'

export interface SubscriptionE2E {
  expected: number
  /** Distinct webhook-ids answered 2xx. */
  delivered: number
  /** Requests to the endpoint, including ones it failed on purpose. */
  requests: number
  /** 2xx arrivals of a webhook-id already answered 2xx (at-least-once repeats). */
  duplicates: number
  /** Accepted events whose delivery ended dead (retries exhausted). */
  dead: number
  /** Still pending, delivering or retrying in Postgres when the drain ended (not lost: unfinished). */
  unfinished: number
  /** Accepted and neither delivered, dead nor unfinished: gone. Must be 0. */
  lost: number
  /** delivered / (last 2xx arrival - first event received), per second. */
  deliveredPerSec: number
  /** ms from received_at (ingest commit) to the first 2xx arrival. */
  latencyMs: { p50: number; p95: number; p99: number; max: number }
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0

interface DeliveryRow { webhook_id: string; subscription_id: string; event_id: string; rx: string; status: string }

export async function deliveryRows(databaseUrl: string): Promise<DeliveryRow[]> {
  const c = new pg.Client({ connectionString: databaseUrl })
  await c.connect()
  try {
    const r = await c.query<DeliveryRow>(
      `SELECT d.webhook_id, d.subscription_id::text, d.event_id::text, (extract(epoch FROM e.received_at) * 1000)::text AS rx, d.status
         FROM deliveries d JOIN events e ON e.id = d.event_id`,
    )
    return r.rows
  } finally {
    await c.end()
  }
}

/**
 * Work the relay still has: events not yet fanned out plus deliveries not yet finished.
 * 0 ends a drain early when some deliveries ended dead (their receiver never answers 2xx).
 */
export async function openWork(databaseUrl: string): Promise<number> {
  const c = new pg.Client({ connectionString: databaseUrl })
  await c.connect()
  try {
    const r = await c.query<{ n: string }>(
      `SELECT (SELECT count(*) FROM events WHERE fanout_status = 'pending')
            + (SELECT count(*) FROM deliveries WHERE status IN ('pending', 'delivering', 'retrying')) AS n`,
    )
    return Number(r.rows[0]!.n)
  } finally {
    await c.end()
  }
}

/** Event ids the relay stored (all, or those whose fan-out is still pending). */
export async function storedEventIds(databaseUrl: string, onlyPendingFanout = false): Promise<Set<string>> {
  const c = new pg.Client({ connectionString: databaseUrl })
  await c.connect()
  try {
    const q = `SELECT id::text FROM events${onlyPendingFanout ? " WHERE fanout_status = 'pending'" : ''}`
    return new Set((await c.query<{ id: string }>(q)).rows.map((r) => r.id))
  } finally {
    await c.end()
  }
}

/** Numbers for one receiving endpoint, which holds one subscription per source (`subscriptionIds`). */
export function subscriptionE2E(
  accepted: ReadonlySet<string>,
  rows: readonly DeliveryRow[],
  subscriptionIds: ReadonlySet<string>,
  arrivals: readonly Arrival[],
  pendingFanout: ReadonlySet<string> = new Set(),
): SubscriptionE2E {
  const firstOk = new Map<string, number>()
  let duplicates = 0
  for (const [id, at, status] of arrivals) {
    if (status < 200 || status >= 300) continue
    if (firstOk.has(id)) duplicates++
    else firstOk.set(id, at)
  }
  const latencies: number[] = []
  let delivered = 0
  let dead = 0
  let unfinished = 0
  let firstRx = Infinity
  let lastOk = 0
  const seen = new Set<string>()
  for (const r of rows) {
    if (!subscriptionIds.has(r.subscription_id) || !accepted.has(r.event_id) || seen.has(r.event_id)) continue
    seen.add(r.event_id)
    const rx = Number(r.rx)
    firstRx = Math.min(firstRx, rx)
    const at = firstOk.get(r.webhook_id)
    if (at !== undefined) {
      delivered++
      latencies.push(at - rx)
      lastOk = Math.max(lastOk, at)
    } else if (r.status === 'dead') dead++
    else if (r.status !== 'succeeded' && r.status !== 'skipped') unfinished++
  }
  // Not fanned out yet when the drain ended: unfinished, not lost.
  for (const id of pendingFanout) if (accepted.has(id) && !seen.has(id)) unfinished++
  latencies.sort((a, b) => a - b)
  const r1 = (n: number) => Math.round(n * 10) / 10
  return {
    expected: accepted.size,
    delivered,
    requests: arrivals.length,
    duplicates,
    dead,
    unfinished,
    lost: accepted.size - delivered - dead - unfinished,
    deliveredPerSec: delivered && lastOk > firstRx ? Math.round(delivered / ((lastOk - firstRx) / 1000)) : 0,
    latencyMs: { p50: r1(pct(latencies, 50)), p95: r1(pct(latencies, 95)), p99: r1(pct(latencies, 99)), max: r1(pct(latencies, 100)) },
  }
}
