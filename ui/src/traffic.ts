/**
 * The overview's pictures: events and attempts per step over a window, and each
 * subscription's success rate, p95 latency and health. Everything is read from the
 * per-minute rollup (core/src/store/traffic.ts), so the page costs the same on a table
 * of a thousand deliveries or of a hundred million.
 */
import { barChart } from './charts.ts'
import { eventsSince, latencyQuantile, listSources, Status, subscriptionTraffic, subscriptionsById, trafficSeries, type Services, type SubscriptionRow, type SubscriptionTraffic } from '@webhook-relay/core/admin'
import { destinationOf } from './destinations.ts'

export const TRAFFIC_WINDOWS = {
  hour: { label: 'Last hour', stepMs: 60_000, step: 'minute', steps: 60, refreshSeconds: 5 },
  // A day's bars move every 15 minutes: refreshing it as often as the hour's would only cost.
  day: { label: 'Last 24 hours', stepMs: 15 * 60_000, step: '15 minutes', steps: 96, refreshSeconds: 30 },
} as const
export type TrafficWindow = keyof typeof TRAFFIC_WINDOWS

export const windowOf = (v: unknown): TrafficWindow => (v === 'day' ? 'day' : 'hour')

/** The events-per-minute tile averages this many minutes, the current one included. */
const RATE_MINUTES = 5

/** The overview lists this many subscriptions: failing ones first, then the busiest. */
export const HEALTH_ROWS = 25

export type Health = 'failing' | 'healthy' | 'disabled' | 'idle'

export interface SubscriptionHealth {
  readonly id: string
  readonly label: string
  readonly sourceId: string
  readonly sourceName: string
  readonly attempts: number
  readonly succeeded: number
  readonly failed: number
  readonly dead: number
  /** Deliveries the rate limit made wait for a later slot. */
  readonly throttled: number
  /** Succeeded attempts of all attempts, in percent; null without attempts. */
  readonly successRate: number | null
  readonly p95Ms: number | null
  readonly lastSuccessAt: number | null
  readonly lastFailureAt: number | null
  readonly lastError: string | null
  readonly consecutiveFailures: number
  readonly health: Health
}

/** Failing: the latest attempt failed; healthy: it succeeded; idle: none recorded yet. */
export function healthOf(enabled: boolean, t: Pick<SubscriptionTraffic, 'consecutive_failures' | 'last_success_at' | 'last_failure_at'>): Health {
  if (!enabled) return 'disabled'
  if (t.consecutive_failures > 0) return 'failing'
  return t.last_success_at !== null ? 'healthy' : 'idle'
}

function healthRow(s: Services, sub: SubscriptionRow, sourceName: string, t: SubscriptionTraffic): SubscriptionHealth {
  const attempts = t.succeeded + t.failed
  return {
    id: sub.id,
    label: destinationOf(s, sub).label,
    sourceId: sub.source_id,
    sourceName,
    attempts,
    succeeded: t.succeeded,
    failed: t.failed,
    dead: t.dead,
    throttled: t.throttled,
    successRate: attempts === 0 ? null : Math.floor((t.succeeded / attempts) * 1000) / 10,
    p95Ms: latencyQuantile(t.latency, 0.95),
    lastSuccessAt: t.last_success_at,
    lastFailureAt: t.last_failure_at,
    lastError: t.last_error,
    consecutiveFailures: t.consecutive_failures,
    health: healthOf(sub.enabled, t),
  }
}

const NO_TRAFFIC = { succeeded: 0, failed: 0, dead: 0, skipped: 0, throttled: 0, latency: [], last_success_at: null, last_failure_at: null, last_error: null, consecutive_failures: 0 }

/** One subscription's last hour and health, for its own page. */
export async function subscriptionHealth(s: Services, sub: SubscriptionRow, sourceName: string, now = Date.now()): Promise<SubscriptionHealth> {
  const [t] = await subscriptionTraffic(s.db, { sinceMs: Math.floor(now / 60_000) * 60_000 - 59 * 60_000, stepMs: 60_000, ids: [sub.id] })
  return healthRow(s, sub, sourceName, t ?? { subscription_id: sub.id, ...NO_TRAFFIC })
}

const rank = (h: SubscriptionHealth) => (h.health === 'failing' ? 0 : 1)

export async function traffic(s: Services, window: TrafficWindow, now = Date.now()) {
  const w = TRAFFIC_WINDOWS[window]
  const sinceMs = Math.floor(now / w.stepMs) * w.stepMs - (w.steps - 1) * w.stepMs
  const [points, perSubscription, recent] = await Promise.all([
    trafficSeries(s.db, { sinceMs, stepMs: w.stepMs, now }),
    subscriptionTraffic(s.db, { sinceMs, stepMs: w.stepMs }),
    eventsSince(s.db, now - (RATE_MINUTES - 1) * 60_000),
  ])
  const ids = perSubscription.map((t) => t.subscription_id)
  const [subs, sources] = await Promise.all([subscriptionsById(s.db, ids), listSources(s.db)])
  const subById = new Map(subs.map((x) => [x.id, x]))
  const sourceName = new Map(sources.map((x) => [x.id, x.name]))
  const rows: SubscriptionHealth[] = []
  for (const t of perSubscription) {
    const sub = subById.get(t.subscription_id)
    // Deleted: its counts stay in the totals only.
    if (sub) rows.push(healthRow(s, sub, sourceName.get(sub.source_id) ?? '', t))
  }
  rows.sort((a, b) => rank(a) - rank(b) || b.consecutiveFailures - a.consecutiveFailures || b.attempts - a.attempts)
  const series = { events: 0, succeeded: 0, failed: 0 }
  for (const p of points) {
    series.events += p.events
    series.succeeded += p.succeeded
    series.failed += p.failed
  }
  return {
    window,
    windowLabel: w.label,
    refreshSeconds: w.refreshSeconds,
    windows: Object.entries(TRAFFIC_WINDOWS).map(([key, v]) => ({ key, label: v.label })),
    totals: series,
    perMinute: Math.round((recent / RATE_MINUTES) * 10) / 10,
    successRate: series.succeeded + series.failed === 0 ? null : Math.floor((series.succeeded / (series.succeeded + series.failed)) * 1000) / 10,
    eventsChart: barChart({
      title: `Events received per ${w.step}, ${w.label.toLowerCase()}`,
      unit: 'events',
      series: [{ name: 'events', cls: 'info' }],
      bars: points.map((p) => ({ at: p.at, values: [p.events] })),
      stepMs: w.stepMs,
    }),
    attemptsChart: barChart({
      title: `Delivery attempts per ${w.step}, ${w.label.toLowerCase()}`,
      unit: 'attempts',
      series: [
        { name: Status.succeeded, cls: 'ok' },
        { name: 'failed', cls: 'bad' },
      ],
      bars: points.map((p) => ({ at: p.at, values: [p.succeeded, p.failed] })),
      stepMs: w.stepMs,
    }),
    subscriptions: rows.slice(0, HEALTH_ROWS),
    moreSubscriptions: Math.max(0, rows.length - HEALTH_ROWS),
  }
}
