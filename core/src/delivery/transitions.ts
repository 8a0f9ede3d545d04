/**
 * The delivery state machine, in one place.
 *
 *   pending ──claim──► delivering ──ok────────────► succeeded
 *   retrying ─claim─┘       │      ──skip (transform null)► skipped
 *                           │      ──retry, attempts left─► retrying (next_attempt_at)
 *                           │      ──retry, none left─────► dead (exhausted)
 *                           └──────fail (permanent)───────► dead (permanent)
 *   dead / retrying ──retry now / replay──► retrying (due now)
 *
 * claim is in store/deliveries.ts (claimDeliveries); everything after an attempt is
 * decided here and written by store/deliveries.ts (recordAttempts).
 */
import type { DeliveryResult } from '../plugin/contract.ts'
import type { DeliveryUpdate } from '../store/deliveries.ts'
import { maxAttempts, nextDelayMs, type RetryPolicy } from './retry-policy.ts'

export type AttemptOutcome = DeliveryResult | { readonly outcome: 'skip'; readonly reason: string }

export function afterAttempt(
  p: RetryPolicy,
  d: { id: string; subscriptionId: string; attempt: number },
  result: AttemptOutcome,
  nowMs: number,
): DeliveryUpdate {
  const base = { deliveryId: d.id, nextAttemptAt: null, lastError: null, deadReason: null, disableSubscription: null }
  switch (result.outcome) {
    case 'ok':
      return { ...base, status: 'succeeded' }
    case 'skip':
      return { ...base, status: 'skipped', lastError: result.reason }
    case 'retry': {
      const delay = d.attempt >= maxAttempts(p) ? null : nextDelayMs(p, d.attempt, result.afterMs)
      if (delay === null) return { ...base, status: 'dead', deadReason: 'exhausted', lastError: result.reason }
      return { ...base, status: 'retrying', nextAttemptAt: nowMs + delay, lastError: result.reason }
    }
    case 'fail':
      return {
        ...base,
        status: 'dead',
        deadReason: 'permanent',
        lastError: result.reason,
        disableSubscription: result.disableSubscription ? { subscriptionId: d.subscriptionId, reason: result.reason } : null,
      }
  }
}
