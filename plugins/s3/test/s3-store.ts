/**
 * A local S3-compatible store for tests: s3rver (an npm dev dependency of this
 * workspace) in this process, on an ephemeral port, with its files in a fresh temporary
 * directory. It speaks the S3 REST API with path-style addressing, keeps user metadata,
 * and answers S3's XML errors (NoSuchBucket 404, InvalidAccessKeyId 403). It does not
 * verify SigV4 signatures, only that the access key exists.
 *
 * Reading back goes through the SDK's own HTTP stack, independent of the plugin's.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3'
import S3rver from 's3rver'
import type { Test } from 'tap'

/** s3rver's built-in account. */
export const ACCESS_KEY_ID = 'S3RVER'
export const SECRET_ACCESS_KEY = 'S3RVER'

export interface StoredObject {
  readonly body: Buffer
  readonly contentType: string | undefined
  readonly metadata: Record<string, string>
}

export interface TestStore {
  readonly endpoint: string
  /** Plugin config for this store and bucket. */
  config(bucket: string): { bucket: string; endpoint: string; forcePathStyle: true; region: string; accessKeyId: string; secretAccessKey: string }
  keys(bucket: string): Promise<string[]>
  get(bucket: string, key: string): Promise<StoredObject>
}

export async function startTestStore(t: Test, buckets: readonly string[]): Promise<TestStore> {
  const directory = await mkdtemp(join(tmpdir(), 'relay-s3-test-'))
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: buckets.map((name) => ({ name, configs: [] })) })
  const { port } = await server.run()
  const endpoint = `http://127.0.0.1:${port}`
  const reader = new S3Client({ endpoint, forcePathStyle: true, region: 'us-east-1', credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY } })
  t.teardown(async () => {
    reader.destroy()
    await server.close()
    await rm(directory, { recursive: true, force: true })
  })
  return {
    endpoint,
    config: (bucket) => ({ bucket, endpoint, forcePathStyle: true, region: 'us-east-1', accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY }),
    async keys(bucket) {
      const listed = await reader.send(new ListObjectsV2Command({ Bucket: bucket }))
      return (listed.Contents ?? []).map((o) => o.Key ?? '').sort()
    },
    async get(bucket, key) {
      const res = await reader.send(new GetObjectCommand({ Bucket: bucket, Key: key }))
      return { body: Buffer.from(await res.Body!.transformToByteArray()), contentType: res.ContentType, metadata: res.Metadata ?? {} }
    },
  }
}
