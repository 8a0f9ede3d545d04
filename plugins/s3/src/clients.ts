/**
 * S3 clients, one per distinct connection config, kept across deliveries: building a
 * client costs more than a request, and with the default credential chain a fresh
 * client would fetch credentials again every time.
 */
import { createHash } from 'node:crypto'
import { S3Client } from '@aws-sdk/client-s3'
import { DEFAULT_REGION, type S3Config } from './config.ts'
import { relayRequestHandler } from './http-handler.ts'

/** Distinct configs kept; beyond this the oldest client is dropped. */
const MAX_CLIENTS = 100
const clients = new Map<string, S3Client>()

function cacheKey(config: S3Config): string {
  const { region, endpoint, forcePathStyle, accessKeyId, secretAccessKey, sessionToken } = config
  // Hashed so the map's keys are not one more in-memory copy of the secrets.
  return createHash('sha256').update(JSON.stringify([region, endpoint, forcePathStyle, accessKeyId, secretAccessKey, sessionToken])).digest('hex')
}

export function s3ClientFor(config: S3Config): S3Client {
  const key = cacheKey(config)
  let client = clients.get(key)
  if (client) return client
  client = new S3Client({
    region: config.region ?? DEFAULT_REGION,
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    forcePathStyle: config.forcePathStyle ?? false,
    ...(config.accessKeyId && config.secretAccessKey
      ? { credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey, ...(config.sessionToken ? { sessionToken: config.sessionToken } : {}) } }
      : {}),
    // Checksums only where an operation requires them: many S3-compatible stores reject
    // or mishandle the CRC32 trailers the SDK adds by default since 2025.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // The relay owns retries.
    maxAttempts: 1,
    requestHandler: relayRequestHandler,
  })
  if (clients.size >= MAX_CLIENTS) {
    const [oldestKey, oldest] = clients.entries().next().value as [string, S3Client]
    clients.delete(oldestKey)
    oldest.destroy()
  }
  clients.set(key, client)
  return client
}

/** Destroys every client (the relay's shutdown: the plugin's close()). */
export function closeAllClients(): void {
  for (const c of clients.values()) c.destroy()
  clients.clear()
}

/** How many clients are kept (tests). */
export const clientCount = (): number => clients.size
