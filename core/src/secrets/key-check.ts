/**
 * The boot-time check of RELAY_ENCRYPTION_KEY against the database. relay_settings
 * holds the id of the key the stored secrets are sealed with (sql/0017). A relay
 * started with another key (a dev secrets file from another directory, a typo in a
 * Secret) refuses to start with a message naming the variable, instead of failing every
 * delivery with "cannot decrypt" and filling the dead-letter queue.
 */
import { sql } from 'slonik'
import Type from 'typebox'
import type { Db, Queryable } from '../db/pool.ts'
import { row } from '../db/row.ts'
import type { SecretBox } from './secret-box.ts'
import { readSealedColumns, sealedStrings } from './sealed-values.ts'

export const KEY_ID_SETTING = 'encryption_key_id'
/** Rows per sealed column tried when an installation has no key id recorded yet. */
const SAMPLE = 20

export class EncryptionKeyMismatch extends Error {
  override name = 'EncryptionKeyMismatch'
}

export type KeyCheck = 'recorded' | 'matches' | 'rotating'

const Setting = row(Type.Object({ value: Type.String() }))

export async function recordKeyId(db: Queryable, keyId: string): Promise<void> {
  await db.query(sql.unsafe`INSERT INTO relay_settings (name, value) VALUES (${KEY_ID_SETTING}, ${keyId})
    ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`)
}

export async function checkEncryptionKey(db: Db, box: SecretBox): Promise<KeyCheck> {
  const stored = await db.maybeOneFirst(sql.type(Setting)`SELECT value FROM relay_settings WHERE name = ${KEY_ID_SETTING}`)
  if (stored === box.keyId) return 'matches'
  if (stored && box.keyIds.includes(stored)) return 'rotating'
  if (stored) {
    throw new EncryptionKeyMismatch(
      `RELAY_ENCRYPTION_KEY does not match this database: its secrets are sealed with key ${stored}, the key given has id ${box.keyId}. ` +
        'Start with the key this database was set up with (in development: the one kept for this database in ~/.config/webhook-relay/dev-secrets.json, or RELAY_ENCRYPTION_KEY). ' +
        'To change keys, set the new one as RELAY_ENCRYPTION_KEY, the old one in RELAY_ENCRYPTION_KEY_PREVIOUS, and run `npm run reseal`.',
    )
  }
  // First boot with key ids: every sampled sealed value must open. The id recorded is
  // that of the key they are sealed with: a previous key's, if one opened them (the
  // check then says 'rotating' until `reseal`), so removing that key later is caught.
  let sealedWith = box.keyId
  for (const c of await readSealedColumns(db, { limit: SAMPLE })) {
    for (const sealed of sealedStrings(c.value, box)) {
      const opener = box.openerOf(sealed)
      if (!opener) {
        throw new EncryptionKeyMismatch(
          `RELAY_ENCRYPTION_KEY cannot open the secrets stored in this database (${c.table}.${c.column} of ${c.id}). Start with the key the database was set up with, or name it in RELAY_ENCRYPTION_KEY_PREVIOUS.`,
        )
      }
      if (opener !== box.keyId) sealedWith = opener
    }
  }
  await recordKeyId(db, sealedWith)
  return sealedWith === box.keyId ? 'recorded' : 'rotating'
}
