import t, { type Test } from 'tap'
import { runAction, startTestReceiver, type ReceiverReply } from '@webhook-relay/core/testing'
import s3 from '../src/index.ts'
import { MAX_METADATA_BYTES } from '../src/metadata.ts'
import { extensionFor } from '../src/object-key.ts'
import { startTestStore } from './s3-store.ts'

const BUCKET = 'webhooks'
const receivedAt = new Date('2025-01-02T03:04:05.678Z')

t.test('archives the raw bytes under the default key, headers as metadata', async (t) => {
  const store = await startTestStore(t, [BUCKET])
  const body = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x31, 0x7d, 0x0a, 0xff, 0x00]) // not valid UTF-8: bytes must survive as is
  const result = await runAction(s3, {
    config: store.config(BUCKET),
    event: {
      id: 'evt-1',
      sourceSlug: 'github',
      receivedAt,
      body,
      contentType: 'application/json',
      headers: { 'x-github-event': 'push', 'X-Hub-Signature-256': 'sha256=abc', 'content-type': 'application/json', 'user-agent': 'GitHub-Hookshot/1' },
    },
  })
  t.match(result, { outcome: 'ok', exchange: { request: { method: 'PUT', url: `${store.endpoint}/${BUCKET}/github/2025/01/02/evt-1.json?x-id=PutObject` }, response: { status: 200 } } })
  t.same(await store.keys(BUCKET), ['github/2025/01/02/evt-1.json'])
  const stored = await store.get(BUCKET, 'github/2025/01/02/evt-1.json')
  t.same(stored.body, body, 'byte for byte')
  t.equal(stored.contentType, 'application/json')
  t.same(stored.metadata, {
    'relay-event-id': 'evt-1',
    'relay-source': 'github',
    'relay-received-at': '2025-01-02T03:04:05.678Z',
    'user-agent': 'GitHub-Hookshot/1',
    'x-github-event': 'push',
    'x-hub-signature-256': 'sha256=abc',
  })
})

t.test('metadata is sanitised, leaves out credentials and stays within 2 KB', async (t) => {
  const store = await startTestStore(t, [BUCKET])
  const headers: Record<string, string> = {
    authorization: 'Bearer secret-token',
    cookie: 'session=1',
    'x-api-key': 'k',
    'x-shopify-access-token': 't',
    'x-greeting': 'grüße ☃',
    'x_odd name': 'v',
  }
  for (let i = 0; i < 40; i++) headers[`x-filler-${String(i).padStart(2, '0')}`] = 'f'.repeat(100)
  await runAction(s3, { config: store.config(BUCKET), event: { id: 'evt-2', sourceSlug: 'shop', receivedAt, headers } })
  const { metadata } = await store.get(BUCKET, 'shop/2025/01/02/evt-2.json')
  for (const name of ['authorization', 'cookie', 'x-api-key', 'x-shopify-access-token']) t.notOk(name in metadata, `${name} is not archived`)
  t.equal(metadata['x-greeting'], 'gr%C3%BC%C3%9Fe %E2%98%83', 'non-ASCII is percent-encoded')
  t.equal(metadata['x_odd-name'], 'v', 'names are made header tokens')
  const bytes = Object.entries(metadata).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0)
  t.ok(bytes <= MAX_METADATA_BYTES, `${bytes} bytes of metadata`)
  const kept = Object.keys(metadata).filter((k) => k.startsWith('x-filler-')).length
  t.ok(kept > 5 && kept < 40, `${kept} filler headers kept`)
  t.equal(metadata['relay-headers-omitted'], String(40 - kept), 'what did not fit is counted')
})

t.test('sidecar mode writes <key>.meta.json with every header (credentials left out)', async (t) => {
  const store = await startTestStore(t, [BUCKET])
  const headers = { 'stripe-signature': 't=1,v1=abc', authorization: 'Basic xyz', 'x-long': 'l'.repeat(3000) }
  const body = Buffer.from('{"type":"charge.succeeded"}')
  const result = await runAction(s3, {
    config: { ...store.config(BUCKET), headersIn: 'sidecar' },
    event: { id: 'evt-3', sourceSlug: 'stripe', sourceId: 'src-1', receivedAt, headers, body },
  })
  t.match(result, { outcome: 'ok', exchange: { request: { url: /evt-3\.json\.meta\.json/ } } })
  t.same(await store.keys(BUCKET), ['stripe/2025/01/02/evt-3.json', 'stripe/2025/01/02/evt-3.json.meta.json'])
  const object = await store.get(BUCKET, 'stripe/2025/01/02/evt-3.json')
  t.same(object.body, body)
  t.same(object.metadata, { 'relay-event-id': 'evt-3', 'relay-source': 'stripe', 'relay-received-at': '2025-01-02T03:04:05.678Z' }, 'headers are not in metadata')
  const meta = await store.get(BUCKET, 'stripe/2025/01/02/evt-3.json.meta.json')
  t.equal(meta.contentType, 'application/json')
  t.same(JSON.parse(meta.body.toString()), {
    eventId: 'evt-3',
    source: 'stripe',
    sourceId: 'src-1',
    receivedAt: '2025-01-02T03:04:05.678Z',
    contentType: 'application/json',
    key: 'stripe/2025/01/02/evt-3.json',
    size: body.length,
    headers: { 'stripe-signature': 't=1,v1=abc', 'x-long': 'l'.repeat(3000) },
  })
})

t.test('every key placeholder, and the extension from the payload’s content type', async (t) => {
  const store = await startTestStore(t, [BUCKET])
  const config = { ...store.config(BUCKET), keyTemplate: 'raw/{source}/{sourceId}/{yyyy}-{mm}-{dd}T{hh}/{subscriptionId}/{deliveryId}/{webhookId}/{eventId}.{ext}' }
  await runAction(s3, {
    config,
    event: { id: 'e', sourceSlug: 'src', sourceId: 'sid', receivedAt, body: Buffer.from('a=1&b=2'), contentType: 'application/x-www-form-urlencoded' },
    subscriptionId: 'sub',
    deliveryId: 'del',
    webhookId: 'msg_1',
  })
  t.same(await store.keys(BUCKET), ['raw/src/sid/2025-01-02T03/sub/del/msg_1/e.form'])
  t.same(
    ['application/json; charset=utf-8', 'application/vnd.github+json', 'text/plain', 'application/soap+xml', 'image/png', 'text/csv'].map(extensionFor),
    ['json', 'json', 'txt', 'xml', 'bin', 'csv'],
  )
})

t.test('a transformed payload is what is archived, with its content type', async (t) => {
  const store = await startTestStore(t, [BUCKET])
  await runAction(s3, {
    config: store.config(BUCKET),
    event: { id: 'evt-t', sourceSlug: 's', receivedAt },
    payload: { body: Buffer.from('reshaped'), contentType: 'text/plain', headers: {} },
  })
  const stored = await store.get(BUCKET, 's/2025/01/02/evt-t.txt')
  t.equal(stored.body.toString(), 'reshaped')
  t.equal(stored.contentType, 'text/plain')
})

t.test('a retried delivery overwrites the same object instead of adding one', async (t) => {
  const store = await startTestStore(t, [BUCKET])
  const event = { id: 'evt-r', sourceSlug: 's', receivedAt }
  for (const attempt of [1, 2, 3]) t.match(await runAction(s3, { config: store.config(BUCKET), event, attempt, webhookId: 'msg_same' }), { outcome: 'ok' })
  t.same(await store.keys(BUCKET), ['s/2025/01/02/evt-r.json'])
})

t.test('a missing bucket or an unknown access key fails, with the store’s answer recorded', async (t) => {
  const store = await startTestStore(t, [BUCKET])
  const missing = await runAction(s3, { config: store.config('no-such-bucket') })
  t.match(missing, { outcome: 'fail', reason: /^S3 404 NoSuchBucket: The specified bucket does not exist/, exchange: { response: { status: 404 } } })
  t.match(missing.exchange?.response?.body?.toString(), /<Code>NoSuchBucket<\/Code>/)
  const denied = await runAction(s3, { config: { ...store.config(BUCKET), accessKeyId: 'AKIAUNKNOWN', secretAccessKey: 'x' } })
  t.match(denied, { outcome: 'fail', reason: /^S3 403 InvalidAccessKeyId/ })
})

/** An S3 error document, as S3 sends it. */
function s3Error(status: number, code: string, message: string): ReceiverReply {
  return {
    status,
    headers: { 'content-type': 'application/xml', 'x-amz-request-id': 'REQ123' },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>REQ123</RequestId><HostId>host</HostId></Error>`,
  }
}

async function fakeS3(t: Test) {
  const r = await startTestReceiver()
  t.teardown(() => r.close())
  return { r, config: { bucket: BUCKET, endpoint: r.url, forcePathStyle: true, accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'secret-key-value' } }
}

t.test('throttling and 5xx are retried; AccessDenied fails', async (t) => {
  const { r, config } = await fakeS3(t)
  r.expect(s3Error(503, 'SlowDown', 'Please reduce your request rate.'))
    .expect(s3Error(500, 'InternalError', 'We encountered an internal error. Please try again.'))
    .expect(s3Error(400, 'RequestTimeout', 'Your socket connection to the server was not read from or written to within the timeout period.'))
    .expect(s3Error(403, 'AccessDenied', 'Access Denied'))
  t.match(await runAction(s3, { config }), { outcome: 'retry', reason: 'S3 503 SlowDown: Please reduce your request rate.' })
  t.match(await runAction(s3, { config }), { outcome: 'retry', reason: /^S3 500 InternalError/ })
  t.match(await runAction(s3, { config }), { outcome: 'retry', reason: /^S3 400 RequestTimeout/ })
  t.match(await runAction(s3, { config }), { outcome: 'fail', reason: 'S3 403 AccessDenied: Access Denied', exchange: { response: { status: 403 } } })
  const sent = r.requests[0]!
  t.equal(sent.method, 'PUT')
  t.match(String(sent.headers.authorization), /^AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE\//, 'requests are SigV4-signed')
  t.notOk('x-amz-checksum-crc32' in sent.headers, 'no checksum trailer that non-AWS stores may refuse')
})

t.test('an unreachable or slow store is retried', async (t) => {
  const { r, config } = await fakeS3(t)
  r.expect({ status: 200, delayMs: 2000 })
  t.match(await runAction(s3, { config: { ...config, timeoutMs: 150 } }), { outcome: 'retry', reason: /within 150 ms/ })
  const closed = await startTestReceiver()
  await closed.close()
  t.match(await runAction(s3, { config: { ...config, endpoint: closed.url } }), { outcome: 'retry', reason: /ECONNREFUSED/ })
})

t.test('the SSRF guard applies to the endpoint: a private address fails without a request', async (t) => {
  const { r, config } = await fakeS3(t)
  const result = await runAction(s3, { config, allowCidrs: [] })
  t.match(result, { outcome: 'fail', reason: /127\.0\.0\.1 is a private/ })
  t.equal(r.requests.length, 0)
})

t.test('the config refuses unknown placeholders, half credentials and bad bucket names', async (t) => {
  const bad: unknown[] = [
    { bucket: BUCKET, keyTemplate: '{source}/{month}/{eventId}' },
    { bucket: BUCKET, keyTemplate: '{source' },
    { bucket: BUCKET, accessKeyId: 'AKIA' },
    { bucket: BUCKET, secretAccessKey: 'x' },
    { bucket: BUCKET, sessionToken: 'x' },
    { bucket: 'Upper_Case' },
    { bucket: BUCKET, endpoint: 'ftp://store' },
    { bucket: BUCKET, headersIn: 'both' },
    { bucket: BUCKET, acl: 'public-read' },
  ]
  for (const config of bad) await t.rejects(runAction(s3, { config }), /config rejected by s3/, JSON.stringify(config))
})
