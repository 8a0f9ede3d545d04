/**
 * Encryption at rest for plugin secrets, verification secrets and signing secrets:
 * AES-256-GCM with RELAY_ENCRYPTION_KEY. The stored form is a self-describing string
 * `enc:v1:<iv>.<tag>.<ciphertext>` (base64url), so a value can be told apart from
 * clear text and a future key version can be added without a migration.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'

const PREFIX = 'enc:v1:'
const IV_BYTES = 12

export interface SecretBox {
  seal(plain: string): string
  open(sealed: string): string
  isSealed(value: unknown): value is string
}

export function createSecretBox(key: Buffer): SecretBox {
  if (key.length !== 32) throw new Error('encryption key must be 32 bytes')
  return {
    seal(plain) {
      const iv = randomBytes(IV_BYTES)
      const cipher = createCipheriv('aes-256-gcm', key, iv)
      const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()])
      const tag = cipher.getAuthTag()
      return `${PREFIX}${iv.toString('base64url')}.${tag.toString('base64url')}.${data.toString('base64url')}`
    },
    open(sealed) {
      if (!sealed.startsWith(PREFIX)) throw new Error('value is not sealed')
      const [iv, tag, data] = sealed.slice(PREFIX.length).split('.')
      if (!iv || !tag || data === undefined) throw new Error('sealed value is malformed')
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'))
      decipher.setAuthTag(Buffer.from(tag, 'base64url'))
      try {
        return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8')
      } catch {
        throw new Error('cannot decrypt a stored secret: was RELAY_ENCRYPTION_KEY changed?')
      }
    },
    isSealed(value): value is string {
      return typeof value === 'string' && value.startsWith(PREFIX)
    },
  }
}
