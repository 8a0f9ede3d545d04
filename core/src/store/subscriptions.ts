/**
 * Data access for subscriptions. Config secrets are sealed by the plugin host before
 * they get here; signing secrets are sealed here. A rotation puts the new secret first
 * and keeps the old one until its expiry, so receivers see both signatures meanwhile.
 */
import type { FilterRule } from '../filter/event-filter.ts'
import type { RateLimit } from '../delivery/rate-limit.ts'
import type { CircuitSettingsInput } from '../delivery/circuit-breaker.ts'
import { deleteDeliveriesWhere, lockDeliveriesWhere } from './delivery-rows.ts'
import { sql } from 'slonik'
import Type, { type Static } from 'typebox'
import { row } from '../db/row.ts'
import { isForeignKeyViolation, violatedConstraint, type Queryable } from '../db/pool.ts'
import { Errors } from '../errors.ts'
import type { SecretBox } from '../secrets/secret-box.ts'
import { generateSigningSecret } from '../signing/standard-webhooks.ts'
import { newId } from './ids.ts'

export const DEFAULT_ROTATION_GRACE_SEC = 24 * 3600

const SigningSecret = Type.Object({ secret: Type.String(), createdAt: Type.String(), expiresAt: Type.Union([Type.Null(), Type.String()]) })
export type StoredSigningSecret = Static<typeof SigningSecret>

export const SubscriptionRow = Type.Object({
  id: Type.String(),
  source_id: Type.String(),
  action: Type.String(),
  config: Type.Record(Type.String(), Type.Unknown()),
  enabled: Type.Boolean(),
  disabled_reason: Type.Union([Type.Null(), Type.String()]),
  signing_secrets: Type.Array(SigningSecret),
  transform_version_id: Type.Union([Type.Null(), Type.String()]),
  description: Type.Union([Type.Null(), Type.String()]),
  /** The event filter (filter/event-filter.ts), checked when saved; null: every event. */
  filter: Type.Union([Type.Null(), Type.Record(Type.String(), Type.Unknown())]),
  /** Its own rate limit (delivery/rate-limit.ts), checked when saved; null: the action's default, if any. */
  rate_limit: Type.Union([Type.Null(), Type.Object({ perSecond: Type.Number(), burst: Type.Integer() })]),
  /** Its own circuit breaker settings (delivery/circuit-breaker.ts), checked when saved; null: the relay's defaults. */
  circuit_breaker: Type.Union([Type.Null(), Type.Record(Type.String(), Type.Union([Type.Number(), Type.Boolean()]))]),
  created_at: Type.Number(),
  updated_at: Type.Number(),
})
export type SubscriptionRow = Static<typeof SubscriptionRow>
const SUBSCRIPTION = row(SubscriptionRow)
const COLUMNS = sql.fragment`id, source_id, action, config, enabled, disabled_reason, signing_secrets, transform_version_id, description, filter, rate_limit, circuit_breaker, created_at, updated_at`

export interface SubscriptionInput {
  sourceId: string
  action: string
  config: Record<string, unknown>
  enabled: boolean
  transformVersionId: string | null
  description: string | null
  /** Checked by compileFilter before it gets here. */
  filter: FilterRule | null
  /** Checked by checkedRateLimit before it gets here. */
  rateLimit: RateLimit | null
  /** Checked by checkedCircuitSettings before it gets here. */
  circuitBreaker: CircuitSettingsInput | null
}

/** A stored subscription's settings as an input: what a change of one setting keeps of the others. */
export function subscriptionInput(r: SubscriptionRow): Omit<SubscriptionInput, 'sourceId' | 'action'> {
  return {
    config: r.config,
    enabled: r.enabled,
    transformVersionId: r.transform_version_id,
    description: r.description,
    filter: r.filter,
    rateLimit: r.rate_limit,
    circuitBreaker: r.circuit_breaker as CircuitSettingsInput | null,
  }
}

const jsonbOrNull = (v: object | null) => (v === null ? null : sql.jsonb(v as never))

/** Creates a subscription with a fresh signing secret; returns the row and the secret in clear (shown once). */
export async function createSubscription(db: Queryable, box: SecretBox, input: SubscriptionInput): Promise<{ row: SubscriptionRow; signingSecret: string }> {
  const signingSecret = generateSigningSecret()
  const secrets: StoredSigningSecret[] = [{ secret: box.seal(signingSecret), createdAt: new Date().toISOString(), expiresAt: null }]
  try {
    const r = await db.one(sql.type(SUBSCRIPTION)`
      INSERT INTO subscriptions (id, source_id, action, config, enabled, signing_secrets, transform_version_id, description, filter, rate_limit, circuit_breaker)
      VALUES (${newId()}, ${input.sourceId}, ${input.action}, ${sql.jsonb(input.config as never)}, ${input.enabled},
              ${sql.jsonb(secrets as never)}, ${input.transformVersionId}, ${input.description}, ${jsonbOrNull(input.filter)}, ${jsonbOrNull(input.rateLimit)}, ${jsonbOrNull(input.circuitBreaker)})
      RETURNING ${COLUMNS}`)
    return { row: r, signingSecret }
  } catch (err) {
    if (isForeignKeyViolation(err)) {
      if (/transform/i.test(violatedConstraint(err))) throw new Errors.TRANSFORM_NOT_FOUND(input.transformVersionId)
      throw new Errors.SOURCE_NOT_FOUND(input.sourceId)
    }
    throw err
  }
}

export async function updateSubscription(
  db: Queryable,
  id: string,
  input: Omit<SubscriptionInput, 'sourceId' | 'action'>,
): Promise<SubscriptionRow> {
  const r = await db.maybeOne(sql.type(SUBSCRIPTION)`
    UPDATE subscriptions SET config = ${sql.jsonb(input.config as never)}, enabled = ${input.enabled},
      disabled_reason = CASE WHEN ${input.enabled} THEN NULL ELSE disabled_reason END,
      transform_version_id = ${input.transformVersionId}, description = ${input.description}, filter = ${jsonbOrNull(input.filter)}, rate_limit = ${jsonbOrNull(input.rateLimit)}, circuit_breaker = ${jsonbOrNull(input.circuitBreaker)}, updated_at = now()
    WHERE id = ${id} RETURNING ${COLUMNS}`)
  if (!r) throw new Errors.SUBSCRIPTION_NOT_FOUND(id)
  return r
}

export async function getSubscription(db: Queryable, id: string): Promise<SubscriptionRow> {
  const r = await db.maybeOne(sql.type(SUBSCRIPTION)`SELECT ${COLUMNS} FROM subscriptions WHERE id = ${id}`)
  if (!r) throw new Errors.SUBSCRIPTION_NOT_FOUND(id)
  return r
}

/** The subscriptions with these ids that exist, in one query (a page's worth of list rows). */
export async function subscriptionsById(db: Queryable, ids: readonly string[]): Promise<readonly SubscriptionRow[]> {
  if (ids.length === 0) return []
  return db.any(sql.type(SUBSCRIPTION)`SELECT ${COLUMNS} FROM subscriptions WHERE id = ANY(${sql.array(ids, 'uuid')})`)
}

const SubscriptionFilter = row(Type.Object({ id: Type.String(), source_id: Type.String(), filter: Type.Union([Type.Null(), Type.Record(Type.String(), Type.Unknown())]) }))

/** The enabled subscriptions of these sources with their filters (null: none), for fan-out's filter stage. */
export async function enabledFiltersOf(db: Queryable, sourceIds: readonly string[]): Promise<readonly { id: string; source_id: string; filter: FilterRule | null }[]> {
  return db.any(sql.type(SubscriptionFilter)`SELECT id, source_id, filter FROM subscriptions
    WHERE source_id = ANY(${sql.array(sourceIds, 'uuid')}) AND enabled ORDER BY id`)
}

export async function listSubscriptions(db: Queryable, sourceId?: string): Promise<readonly SubscriptionRow[]> {
  const where = sourceId ? sql.fragment`WHERE source_id = ${sourceId}` : sql.fragment``
  return db.any(sql.type(SUBSCRIPTION)`SELECT ${COLUMNS} FROM subscriptions ${where} ORDER BY created_at`)
}

/**
 * Deletes a subscription with its deliveries (by cascade) and their attempts and dead
 * letters (here: no foreign keys between the partitioned tables, sql/0015).
 */
export async function deleteSubscription(db: Queryable, id: string): Promise<void> {
  const r = await db.transaction(async (tx) => {
    await lockDeliveriesWhere(tx, sql.fragment`subscription_id = ${id}`)
    return tx.query(sql.unsafe`
      WITH ${deleteDeliveriesWhere(sql.fragment`subscription_id = ${id}`)}
      DELETE FROM subscriptions WHERE id = ${id}`)
  })
  if (r.rowCount === 0) throw new Errors.SUBSCRIPTION_NOT_FOUND(id)
}

/** Adds a new signing secret in front; the previous ones expire after the grace period. */
export async function rotateSigningSecret(db: Queryable, box: SecretBox, id: string, graceSec = DEFAULT_ROTATION_GRACE_SEC): Promise<{ row: SubscriptionRow; signingSecret: string }> {
  return db.transaction(async (tx) => {
    const current = await tx.maybeOne(sql.type(SUBSCRIPTION)`SELECT ${COLUMNS} FROM subscriptions WHERE id = ${id} FOR UPDATE`)
    if (!current) throw new Errors.SUBSCRIPTION_NOT_FOUND(id)
    const now = Date.now()
    const expiry = new Date(now + graceSec * 1000).toISOString()
    const kept = current.signing_secrets
      .filter((s) => s.expiresAt === null || Date.parse(s.expiresAt) > now)
      .map((s) => ({ ...s, expiresAt: s.expiresAt === null || Date.parse(s.expiresAt) > Date.parse(expiry) ? expiry : s.expiresAt }))
    const signingSecret = generateSigningSecret()
    const secrets = [{ secret: box.seal(signingSecret), createdAt: new Date(now).toISOString(), expiresAt: null }, ...(graceSec > 0 ? kept : [])]
    const r = await tx.one(sql.type(SUBSCRIPTION)`
      UPDATE subscriptions SET signing_secrets = ${sql.jsonb(secrets as never)}, updated_at = now()
      WHERE id = ${id} RETURNING ${COLUMNS}`)
    return { row: r, signingSecret }
  })
}

/** Secrets still valid now, newest first, in clear: what the worker signs with. */
export function activeSigningSecrets(box: SecretBox, stored: readonly StoredSigningSecret[], nowMs = Date.now()): string[] {
  return stored.filter((s) => s.expiresAt === null || Date.parse(s.expiresAt) > nowMs).map((s) => box.open(s.secret))
}
