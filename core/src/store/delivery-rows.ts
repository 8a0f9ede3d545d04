/**
 * Deleting deliveries, in one place: the partitioned tables have no foreign keys
 * (sql/0015, D41), so whatever deletes deliveries deletes their attempts and dead letters
 * with them, in the same statement. A fragment of CTEs to put after WITH; it defines
 * `gone_deliveries` (the ids deleted) for the statement to use.
 *
 * Where a worker may be recording an attempt at the same moment (deleting a subscription
 * or a source), lock the deliveries first (lockDeliveriesWhere, in the same transaction):
 * one statement's snapshot predates an attempt and a dead letter that a concurrent record
 * commits while the DELETE waits for the delivery row, so they would be left behind,
 * rows of a delivery that no longer exists. After the lock, the DELETE's snapshot sees
 * them; a record that comes after the lock finds no delivery and writes nothing.
 */
import { sql, type FragmentSqlToken } from 'slonik'
import type { Queryable } from '../db/pool.ts'

/** Waits for in-flight records of these deliveries to commit, and keeps new ones out; id order, as every transition locks. */
export async function lockDeliveriesWhere(tx: Queryable, condition: FragmentSqlToken): Promise<void> {
  await tx.query(sql.unsafe`SELECT id FROM deliveries WHERE ${condition} ORDER BY id FOR UPDATE`)
}

export function deleteDeliveriesWhere(condition: FragmentSqlToken): FragmentSqlToken {
  return sql.fragment`gone_deliveries AS (DELETE FROM deliveries WHERE ${condition} RETURNING id),
    gone_attempts AS (DELETE FROM delivery_attempts WHERE delivery_id IN (SELECT id FROM gone_deliveries)),
    gone_dead_letters AS (DELETE FROM dead_letters WHERE delivery_id IN (SELECT id FROM gone_deliveries))`
}
