/**
 * s3: archives each webhook's bytes to S3 or an S3-compatible store, one object per
 * event, with the webhook headers as object metadata or in a JSON sidecar object.
 *
 * Retries and replays are idempotent: the key comes from the event (not the attempt),
 * so a repeated PUT overwrites the same object with the same bytes. With a sidecar, the
 * object is written first, so a sidecar never describes an object that is not there.
 */
import { PutObjectCommand, type StorageClass } from '@aws-sdk/client-s3'
import { defineAction, fail, ok } from '@webhook-relay/plugin-sdk'
import { closeAllClients, s3ClientFor } from './clients.ts'
import { DEFAULT_HEADERS_IN, DEFAULT_KEY_TEMPLATE, DEFAULT_TIMEOUT_MS, S3Config } from './config.ts'
import { objectMetadata, sidecar, sidecarKey } from './metadata.ts'
import { keyValues, MAX_KEY_BYTES, renderKey } from './object-key.ts'
import { classifyS3Error } from './outcome.ts'
import { withDelivery } from './http-handler.ts'

export default defineAction({
  apiVersion: 1,
  name: 's3',
  version: '1.0.0',
  title: 'S3 archive',
  description: 'Stores every webhook, byte for byte, as an object in S3 or an S3-compatible bucket.',
  config: S3Config,
  secrets: ['secretAccessKey', 'sessionToken'],

  /** Clients are kept across deliveries (clients.ts); the relay's stop destroys them. */
  close: closeAllClients,

  async deliver(input, ctx) {
    const { config, event, payload, signal } = input
    const key = renderKey(config.keyTemplate ?? DEFAULT_KEY_TEMPLATE, keyValues(input))
    if (Buffer.byteLength(key) > MAX_KEY_BYTES) return fail(`object key is ${Buffer.byteLength(key)} bytes; S3 allows ${MAX_KEY_BYTES}`)
    const headersIn = config.headersIn ?? DEFAULT_HEADERS_IN
    const client = s3ClientFor(config)
    const storage = config.storageClass ? { StorageClass: config.storageClass as StorageClass } : {}

    return withDelivery({ http: ctx.http, timeoutMs: config.timeoutMs ?? DEFAULT_TIMEOUT_MS, signal }, async (exchanges) => {
      try {
        await client.send(
          new PutObjectCommand({
            Bucket: config.bucket,
            Key: key,
            Body: payload.body,
            ContentType: payload.contentType,
            Metadata: objectMetadata(event, headersIn === 'metadata'),
            ...storage,
          }),
          { abortSignal: signal },
        )
        if (headersIn === 'sidecar') {
          await client.send(
            new PutObjectCommand({
              Bucket: config.bucket,
              Key: sidecarKey(key),
              Body: Buffer.from(JSON.stringify(sidecar(event, key, payload.body.length), null, 2)),
              ContentType: 'application/json',
              Metadata: objectMetadata(event, false),
              ...storage,
            }),
            { abortSignal: signal },
          )
        }
        ctx.log.debug({ bucket: config.bucket, key, bytes: payload.body.length }, 'archived')
        return ok(exchanges.at(-1))
      } catch (err) {
        return classifyS3Error(err, exchanges.at(-1))
      }
    })
  },
})
