/**
 * The queue design, written once.
 *
 *   <prefix>relay:v1:events      Stream. One entry per accepted event of an active source
 *                                (fields: e=event id, tp=traceparent). Group "fanout".
 *   <prefix>relay:v1:deliveries  Stream. One entry per delivery due now
 *                                (fields: d=delivery id, tp=traceparent). Group "deliver".
 *   <prefix>relay:v1:retries     Sorted set. member=delivery id, score=due time (ms).
 *                                The mover (Lua, move-due.lua) XADDs due members to the
 *                                deliveries stream and ZREMs them in one atomic step.
 *   <prefix>relay:v1:alive:<c>   String with PX. Worker c's liveness key, refreshed every
 *                                second (queue/liveness.ts). Pending entries of a consumer
 *                                whose key is gone are taken over at once (queue/takeover.ts)
 *                                and its claims in Postgres with them.
 *   <prefix>relay:v1:workers     Set. The consumers that keep liveness keys (added with every
 *                                beat), so a worker of an older version, which keeps none,
 *                                is never taken for dead.
 *   <prefix>relay:v1:epoch       String. Set once by the reconciler; when it is missing,
 *                                Redis lost its data (restart without persistence, FLUSHALL)
 *                                and the reconciler re-enqueues everything unfinished.
 *   <prefix>relay:v1:lock:*      Short leases (SET NX PX) so one worker at a time runs the
 *                                reconciler, the retention pruning, the circuit task, and the
 *                                takeover of one dead worker (lock:takeover:<c>).
 *   <prefix>relay:v1:rate:<s>    Hash with PX. Subscription s's rate-limit bucket (tokens, when
 *                                they were counted, the next free slot; rate-take.lua), shared
 *                                by every worker. Gone once idle: a missing bucket is full.
 *   <prefix>relay:v1:signin:<ip> String with PX. Failed admin UI sign-ins of one client
 *                                address in the current window (ui/src/sign-in-limit.ts),
 *                                shared by every api replica.
 *   <prefix>relay:v1:ui:session:<h>  String with PX. One admin UI session (ui/src/session.ts);
 *                                h is the SHA-256 of the cookie's session id, so a Redis
 *                                dump holds no usable cookie. The TTL is the idle timeout.
 *   <prefix>relay:v1:ui:sessions Sorted set. member=h, score=absolute expiry (ms): the
 *                                index behind "sign out everywhere" and the sessions list.
 *
 * Dead deliveries are the dead_letters table; no stream announces them (the old
 * relay:v1:dlq stream was written and never read; workers delete it at boot).
 *
 * Postgres is the source of truth; these keys are the fast path and can be rebuilt.
 * The version segment (v1) changes if an entry's shape ever changes incompatibly.
 */
export const FANOUT_GROUP = 'fanout'
export const DELIVER_GROUP = 'deliver'

export interface Keys {
  readonly events: string
  readonly deliveries: string
  readonly retries: string
  /** The retired dead-letter stream, deleted at worker boot. */
  readonly retiredDlq: string
  /** Prefix of the liveness keys (the consumer name is appended). */
  readonly alive: string
  /** The set of consumers that keep liveness keys. */
  readonly workers: string
  /** Prefix of the per-dead-worker takeover leases. */
  readonly takeoverLock: string
  readonly epoch: string
  readonly moverLock: string
  readonly reconcilerLock: string
  readonly retentionLock: string
  readonly circuitLock: string
  /** Prefix of the rate-limit buckets (the subscription id is appended). */
  readonly rateBucket: string
  /** Namespace of the failed sign-in counters (the limiter appends the client address). */
  readonly signInLimit: string
  /** Prefix of the admin UI session records (the hashed session id is appended). */
  readonly uiSession: string
  /** The index of admin UI sessions. */
  readonly uiSessions: string
  /** Prefix of values a UI page shows once after a redirect (ui/src/shown-once.ts). */
  readonly uiShownOnce: string
}

export function keys(prefix = ''): Keys {
  const p = `${prefix}relay:v1:`
  return {
    events: `${p}events`,
    deliveries: `${p}deliveries`,
    retries: `${p}retries`,
    retiredDlq: `${p}dlq`,
    alive: `${p}alive:`,
    workers: `${p}workers`,
    takeoverLock: `${p}lock:takeover:`,
    epoch: `${p}epoch`,
    moverLock: `${p}lock:mover`,
    reconcilerLock: `${p}lock:reconciler`,
    retentionLock: `${p}lock:retention`,
    circuitLock: `${p}lock:circuits`,
    rateBucket: `${p}rate:`,
    signInLimit: `${p}signin:`,
    uiSession: `${p}ui:session:`,
    uiSessions: `${p}ui:sessions`,
    uiShownOnce: `${p}ui:once:`,
  }
}
