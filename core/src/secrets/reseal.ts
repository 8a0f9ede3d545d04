/**
 * `relay reseal`: seals plugin secrets still stored in clear (a field a plugin declared
 * secret after it was saved, such as http-relay's headers), and re-seals every stored
 * secret with RELAY_ENCRYPTION_KEY (opening each
 * with whichever key sealed it, RELAY_ENCRYPTION_KEY_PREVIOUS included), then records the
 * new key's id. One transaction with the rows locked: a crash leaves the old state, which
 * the previous key still opens. After it the previous key can be removed.
 */
import { sql } from 'slonik'
import Type from 'typebox'
import type { Db } from '../db/pool.ts'
import { row } from '../db/row.ts'
import { recordKeyId } from './key-check.ts'
import type { SecretBox } from './secret-box.ts'
import { mapSealed, readSealedColumns } from './sealed-values.ts'

/** Seals what a plugin declares secret but is stored in clear (PluginHost.sealClearSecrets). */
export type SealClear = (action: string, config: Record<string, unknown>) => Record<string, unknown> | null

const ActionConfig = row(Type.Object({ id: Type.String(), action: Type.String(), config: Type.Record(Type.String(), Type.Unknown()) }))

export async function resealAll(db: Db, box: SecretBox, sealClear?: SealClear): Promise<{ values: number; rows: number; sealedFromClear: number }> {
  return db.transaction(async (tx) => {
    let values = 0
    let rows = 0
    let sealedFromClear = 0
    if (sealClear) {
      for (const r of await tx.any(sql.type(ActionConfig)`SELECT id, action, config FROM subscriptions ORDER BY id FOR UPDATE`)) {
        const next = sealClear(r.action, r.config)
        if (!next) continue
        sealedFromClear++
        await tx.query(sql.unsafe`UPDATE subscriptions SET config = ${sql.jsonb(next as never)} WHERE id = ${r.id}`)
      }
    }
    for (const c of await readSealedColumns(tx, { forUpdate: true })) {
      let changed = 0
      const next = mapSealed(c.value, box, (sealed) => {
        if (!box.needsReseal(sealed)) return sealed
        changed++
        return box.seal(box.open(sealed))
      })
      if (changed === 0) continue
      values += changed
      rows++
      await tx.query(sql.unsafe`UPDATE ${sql.identifier([c.table])} SET ${sql.identifier([c.column])} = ${sql.jsonb(next as never)} WHERE id = ${c.id}`)
    }
    await recordKeyId(tx, box.keyId)
    return { values, rows, sealedFromClear }
  })
}
