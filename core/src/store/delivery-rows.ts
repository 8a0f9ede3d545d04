/**
 * Deleting deliveries, in one place: the partitioned tables have no foreign keys
 * (sql/0015, D41), so whatever deletes deliveries deletes their attempts and dead letters
 * with them, in the same statement. A fragment of CTEs to put after WITH; it defines
 * `gone_deliveries` (the ids deleted) for the statement to use.
 */
import { sql, type FragmentSqlToken } from 'slonik'

export function deleteDeliveriesWhere(condition: FragmentSqlToken): FragmentSqlToken {
  return sql.fragment`gone_deliveries AS (DELETE FROM deliveries WHERE ${condition} RETURNING id),
    gone_attempts AS (DELETE FROM delivery_attempts WHERE delivery_id IN (SELECT id FROM gone_deliveries)),
    gone_dead_letters AS (DELETE FROM dead_letters WHERE delivery_id IN (SELECT id FROM gone_deliveries))`
}
