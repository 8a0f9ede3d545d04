/**
 * Encryption at rest for plugin secrets, verification secrets and signing secrets:
 * AES-256-GCM with RELAY_ENCRYPTION_KEY. The stored form is self-describing:
 * `enc:v2:<key id>.<iv>.<tag>.<ciphertext>` (base64url), so a value can be told apart
 * from clear text and names the key that sealed it. Values from before key ids
 * (`enc:v1:<iv>.<tag>.<ciphertext>`) are still read, by trying each key.
 *
 * Rotation: the new key becomes RELAY_ENCRYPTION_KEY, the old one goes into
 * RELAY_ENCRYPTION_KEY_PREVIOUS (opened, never used to seal), and `relay reseal`
 * re-seals every stored value with the new key (secrets/reseal.ts).
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto'

const V1 = 'enc:v1:'
const V2 = 'enc:v2:'
const IV_BYTES = 12

export interface SecretBox {
  /** The id of the key that seals: a check value that reveals nothing of the key. */
  readonly keyId: string
  /** Ids of every key this box can open with (the sealing key first). */
  readonly keyIds: readonly string[]
  seal(plain: string): string
  open(sealed: string): string
  isSealed(value: unknown): value is string
  /** Sealed with another key than the sealing one (or before key ids): `relay reseal` redoes it. */
  needsReseal(sealed: string): boolean
  /** The id of the key that opens this value, or null when none of this box's keys does. */
  openerOf(sealed: string): string | null
}

/** 16 hex digits of an HMAC of a fixed label under the key. */
export function keyIdOf(key: Buffer): string {
  return createHmac('sha256', key).update('webhook-relay key id v1').digest('hex').slice(0, 16)
}

export function createSecretBox(key: Buffer, previous: readonly Buffer[] = []): SecretBox {
  for (const k of [key, ...previous]) if (k.length !== 32) throw new Error('encryption key must be 32 bytes')
  const keys = new Map<string, Buffer>()
  for (const k of [key, ...previous]) if (!keys.has(keyIdOf(k))) keys.set(keyIdOf(k), k)
  const keyId = keyIdOf(key)

  const decrypt = (k: Buffer, iv: string, tag: string, data: string): string => {
    const decipher = createDecipheriv('aes-256-gcm', k, Buffer.from(iv, 'base64url'), { authTagLength: 16 })
    decipher.setAuthTag(Buffer.from(tag, 'base64url'))
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8')
  }

  return {
    keyId,
    keyIds: [...keys.keys()],
    seal(plain) {
      const iv = randomBytes(IV_BYTES)
      const cipher = createCipheriv('aes-256-gcm', key, iv)
      const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()])
      const tag = cipher.getAuthTag()
      return `${V2}${keyId}.${iv.toString('base64url')}.${tag.toString('base64url')}.${data.toString('base64url')}`
    },
    open(sealed) {
      if (sealed.startsWith(V2)) {
        const [kid, iv, tag, data] = sealed.slice(V2.length).split('.')
        if (!kid || !iv || !tag || data === undefined) throw new Error('sealed value is malformed')
        const k = keys.get(kid)
        if (!k) throw new Error(`cannot decrypt a stored secret: it was sealed with key ${kid}, which is neither RELAY_ENCRYPTION_KEY (${keyId}) nor in RELAY_ENCRYPTION_KEY_PREVIOUS`)
        try {
          return decrypt(k, iv, tag, data)
        } catch {
          throw new Error('cannot decrypt a stored secret: it does not authenticate under its key (tampered or corrupt)')
        }
      }
      if (!sealed.startsWith(V1)) throw new Error('value is not sealed')
      const [iv, tag, data] = sealed.slice(V1.length).split('.')
      if (!iv || !tag || data === undefined) throw new Error('sealed value is malformed')
      for (const k of keys.values()) {
        try {
          return decrypt(k, iv, tag, data)
        } catch {
          // the next key
        }
      }
      throw new Error('cannot decrypt a stored secret: was RELAY_ENCRYPTION_KEY changed? (put the old key in RELAY_ENCRYPTION_KEY_PREVIOUS)')
    },
    isSealed(value): value is string {
      return typeof value === 'string' && (value.startsWith(V2) || value.startsWith(V1))
    },
    needsReseal(sealed) {
      return !sealed.startsWith(`${V2}${keyId}.`)
    },
    openerOf(sealed) {
      const parts: (string | undefined)[] = sealed.startsWith(V2) ? sealed.slice(V2.length).split('.') : sealed.startsWith(V1) ? [undefined, ...sealed.slice(V1.length).split('.')] : []
      const [kid, iv, tag, data] = parts
      if (!iv || !tag || data === undefined) return null
      for (const [id, k] of kid ? [[kid, keys.get(kid)] as const] : [...keys.entries()]) {
        if (!k) continue
        try {
          decrypt(k, iv, tag, data)
          return id
        } catch {
          // not this key
        }
      }
      return null
    },
  }
}
