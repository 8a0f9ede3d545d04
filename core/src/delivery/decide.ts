/**
 * What an attempt's outcome means for its delivery: succeeded, skipped, retrying at a
 * time from the retry policy, or dead (exhausted or permanent). A pure function; the
 * decision is written by transitions.ts record().
 */
import type { DeliveryResult } from '../plugin/contract.ts'
import { maxAttempts, nextDelayMs, type RetryPolicy } from './retry-policy.ts'
import { Status } from './status.ts'
import type { Decision } from './transitions.ts'

export type AttemptOutcome = DeliveryResult | { readonly outcome: 'skip'; readonly reason: string }

/** `attempt` is the 1-based attempt count against the retry budget, this attempt included. */
export function decide(p: RetryPolicy, attempt: number, result: AttemptOutcome, nowMs: number): Decision {
  const base = { nextAttemptAt: null, lastError: null, deadReason: null, disableSubscription: null }
  switch (result.outcome) {
    case 'ok':
      return { ...base, status: Status.succeeded }
    case 'skip':
      return { ...base, status: Status.skipped, lastError: result.reason }
    case 'retry': {
      const delay = attempt >= maxAttempts(p) ? null : nextDelayMs(p, attempt, result.afterMs)
      if (delay === null) return { ...base, status: Status.dead, deadReason: 'exhausted', lastError: result.reason }
      return { ...base, status: Status.retrying, nextAttemptAt: nowMs + delay, lastError: result.reason }
    }
    case 'fail':
      return {
        ...base,
        status: Status.dead,
        deadReason: 'permanent',
        lastError: result.reason,
        disableSubscription: result.disableSubscription ? result.reason : null,
      }
  }
}
