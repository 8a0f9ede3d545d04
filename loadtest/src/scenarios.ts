/**
 * The scenarios, as data: which sources (record or active), which receiving endpoints
 * and how they behave, which RELAY_* settings, and the attack's steps. `rate` is the
 * base rate the runner was given (--rate); the burst is 10x `sustainable`.
 */
import type { EndpointBehaviour } from '../subscriber.ts'
import type { Step } from './attack.ts'
import type { SizeName } from './payloads/fill.ts'
import { DEFAULT_SIZE_MIX } from './targets.ts'

/**
 * Retries in seconds, not hours, so the 50 %-failing subscriber's deliveries finish
 * within the drain: 12 attempts (a delivery dies only after 12 straight 503s, p = 1/4096).
 */
export const TEST_RETRY_ENV = { RELAY_RETRY_SCHEDULE: '200ms,400ms,800ms,1s,1s,1s,1s,1s,1s,1s,1s', RELAY_RETRY_MIN: '100ms' }
export const SLOW_MS = 2000

export interface Scenario {
  name: string
  description: string
  mode: 'record' | 'active'
  endpoints: Record<string, EndpointBehaviour>
  env?: Record<string, string>
  size: SizeName | Readonly<Partial<Record<SizeName, number>>>
  steps: Step[]
  /** How long to wait for every accepted event to reach every endpoint. */
  drainMs: number
}

export interface ScenarioParams { rate: number; seconds: number; sustainable: number; burstSeconds: number }

export function scenarios(p: ScenarioParams): Scenario[] {
  const steady = [{ rate: p.rate, seconds: p.seconds }]
  return [
    { name: 'record', description: 'record-mode sources: ingest only, no fan-out', mode: 'record', endpoints: {}, size: DEFAULT_SIZE_MIX, steps: steady, drainMs: 10_000 },
    { name: 'active', description: 'one http-relay subscription per source', mode: 'active', endpoints: { fast: {} }, size: DEFAULT_SIZE_MIX, steps: steady, drainMs: 60_000 },
    ...(['1k', '10k', '100k'] as const).map((size): Scenario => ({
      name: `active-${size}`, description: `one subscription, every payload ~${size}`, mode: 'active', endpoints: { fast: {} }, size, steps: steady, drainMs: 60_000,
    })),
    {
      name: 'ramp', description: 'one subscription, rate stepped up to 2x the base rate', mode: 'active', endpoints: { fast: {} }, size: DEFAULT_SIZE_MIX,
      steps: [0.25, 0.5, 1, 1.5, 2].map((f) => ({ rate: Math.round(p.rate * f), seconds: Math.max(2, Math.round(p.seconds / 3)) })), drainMs: 120_000,
    },
    {
      name: 'fanout5', description: 'five subscriptions per source, each its own receiver', mode: 'active',
      endpoints: Object.fromEntries([1, 2, 3, 4, 5].map((i) => [`fast${i}`, {}])), size: DEFAULT_SIZE_MIX, steps: steady, drainMs: 120_000,
    },
    {
      name: 'slow', description: `a receiver answering after ${SLOW_MS} ms beside a fast one`, mode: 'active', endpoints: { fast: {}, slow: { delayMs: SLOW_MS } },
      // A quarter of the base rate: the slow receiver (2 s, 32 connections per origin) still
      // falls behind, which is the point, and its backlog drains within the run's bound.
      size: DEFAULT_SIZE_MIX, steps: [{ rate: Math.max(1, Math.round(p.rate / 4)), seconds: p.seconds }], drainMs: 180_000,
    },
    {
      name: 'flaky', description: 'a receiver failing 50 % of requests with 503 (retried on a short test schedule)', mode: 'active',
      endpoints: { flaky: { failRatio: 0.5 } }, env: TEST_RETRY_ENV, size: DEFAULT_SIZE_MIX, steps: steady, drainMs: 120_000,
    },
    {
      name: 'burst', description: `10x the sustainable rate for ${p.burstSeconds} s`, mode: 'active', endpoints: { fast: {} }, size: DEFAULT_SIZE_MIX,
      steps: [{ rate: p.sustainable * 10, seconds: p.burstSeconds }], drainMs: 300_000,
    },
  ]
}
