/**
 * The s3 subscription config. Credentials are optional: without them the AWS SDK's
 * default chain applies (environment, shared config, web identity, ECS / EC2 instance
 * roles), which is what a relay running on AWS should use.
 */
import Type, { type Static } from 'typebox'
import { KEY_PLACEHOLDERS } from './object-key.ts'

export const DEFAULT_REGION = 'us-east-1'
export const DEFAULT_KEY_TEMPLATE = '{source}/{yyyy}/{mm}/{dd}/{eventId}.{ext}'
export const DEFAULT_HEADERS_IN = 'metadata'
export const DEFAULT_TIMEOUT_MS = 15_000
export const MIN_TIMEOUT_MS = 100
export const MAX_TIMEOUT_MS = 60_000

/** Literal text without braces, or a known `{placeholder}`: an unknown one is refused at create. */
const KEY_TEMPLATE_PATTERN = `^(?:[^{}]|\\{(?:${KEY_PLACEHOLDERS.join('|')})\\})+$`

export const S3Config = Type.Object(
  {
    bucket: Type.String({ minLength: 3, maxLength: 63, pattern: '^[a-z0-9][a-z0-9.-]*[a-z0-9]$', description: 'Bucket name.' }),
    region: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9-]+$', default: DEFAULT_REGION, description: 'Region the bucket is in (any value for most S3-compatible stores).' })),
    endpoint: Type.Optional(
      Type.String({ format: 'uri', pattern: '^[hH][tT][tT][pP][sS]?://', description: 'For S3-compatible stores (MinIO, R2, Ceph, ...): e.g. https://minio.internal:9000.' }),
    ),
    forcePathStyle: Type.Optional(Type.Boolean({ default: false, description: 'Address the bucket as endpoint/bucket/key instead of bucket.endpoint/key; most non-AWS stores need it.' })),
    accessKeyId: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    secretAccessKey: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    sessionToken: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
    keyTemplate: Type.Optional(
      Type.String({ minLength: 1, maxLength: 512, pattern: KEY_TEMPLATE_PATTERN, default: DEFAULT_KEY_TEMPLATE, description: 'Object key; see the README for placeholders.' }),
    ),
    headersIn: Type.Optional(
      Type.Union([Type.Literal('metadata'), Type.Literal('sidecar')], {
        default: DEFAULT_HEADERS_IN,
        description: 'Where the webhook headers go: object metadata (2 KB limit) or a <key>.meta.json sidecar object.',
      }),
    ),
    storageClass: Type.Optional(Type.String({ pattern: '^[A-Z_]+$', description: 'e.g. STANDARD_IA, GLACIER_IR; the store default when absent.' })),
    timeoutMs: Type.Optional(
      Type.Integer({ minimum: MIN_TIMEOUT_MS, maximum: MAX_TIMEOUT_MS, default: DEFAULT_TIMEOUT_MS, description: 'Time allowed for each request to the store.' }),
    ),
  },
  // A key id without its secret (or the reverse) is a half-configured credential, not a request for the default chain.
  { additionalProperties: false, dependentRequired: { accessKeyId: ['secretAccessKey'], secretAccessKey: ['accessKeyId'], sessionToken: ['accessKeyId'] } },
)

export type S3Config = Static<typeof S3Config>
