// Any accepted payload can be shown and transformed: JSON nested far deeper than anything
// recursive can walk (100,000 levels of arrays, of objects, and the depths around the
// limit) is shown by the UI as text with a notice, handed to a transform as a string,
// and delivered byte for byte; JSON within the limit is still a tree and a value.
import t from 'tap'
import { eventually, startSubscriber, TEST_ADMIN_TOKEN } from '@webhook-relay/core/testing'
import { MAX_JSON_DEPTH } from '@webhook-relay/plugin-sdk'
import { UiClient } from './helpers/client.ts'
import { createUiTestEnv } from './env.ts'

const env = await createUiTestEnv('ui_deep_json')
t.teardown(() => env.close())
const relay = await env.start('all')
const sub = await startSubscriber()
t.teardown(() => sub.close())
const ui = new UiClient(relay.url)
await ui.signIn(TEST_ADMIN_TOKEN)

const arrays = (n: number) => '['.repeat(n) + ']'.repeat(n)
const objects = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n)
const withStrings = (n: number) => `{"note":"[[[{{{ \\" ]]","v":${arrays(n)}}`

const source = (await relay.api('/api/v1/sources', { body: { name: 'deep', slug: 'deep' } })).body
const transform = await relay.api('/api/v1/transforms', {
  body: { name: 'shape', code: 'function transform(e) { return { type: typeof e.body, length: typeof e.body === "string" ? e.body.length : null } }' },
})
const shaped = await relay.api('/api/v1/subscriptions', { body: { sourceId: source.id, action: 'http-relay', config: { url: `${sub.url}/shaped` }, transformVersionId: transform.body.versionId } })
const raw = await relay.api('/api/v1/subscriptions', { body: { sourceId: source.id, action: 'http-relay', config: { url: `${sub.url}/raw` } } })
t.equal(shaped.status, 201)
t.equal(raw.status, 201)

async function ingest(body: string): Promise<string> {
  const res = await fetch(`${relay.url}/in/deep`, { method: 'POST', body, headers: { 'content-type': 'application/json' } })
  t.equal(res.status, 202, 'accepted')
  return ((await res.json()) as { eventId: string }).eventId
}

async function settled(eventId: string) {
  return eventually(async () => {
    const ds = (await relay.api(`/api/v1/events/${eventId}`)).body.deliveries as { id: string; status: string }[]
    return ds.length === 2 && ds.every((d) => d.status === 'succeeded' || d.status === 'dead') ? ds : null
  }, 'both deliveries to finish', 20_000)
}

const TOO_DEEP = [
  ['arrays, 100,000 levels', arrays(100_000)],
  ['objects, 100,000 levels', objects(100_000)],
  ['arrays, 10,000 levels', arrays(10_000)],
  ['objects, 5,000 levels', objects(5_000)],
  [`arrays, ${MAX_JSON_DEPTH + 1} levels`, arrays(MAX_JSON_DEPTH + 1)],
  ['brackets inside strings do not hide the depth', withStrings(20_000)],
] as const

for (const [name, body] of TOO_DEEP) {
  t.test(`too deep: ${name}`, async (t) => {
    const eventId = await ingest(body)
    const api = await relay.api(`/api/v1/events/${eventId}`)
    t.equal(api.status, 200, 'the API shows the event')
    const ds = await settled(eventId)
    t.same(ds.map((d) => d.status), ['succeeded', 'succeeded'], 'both deliveries succeed')
    const got = sub.to('/raw').find((r) => r.body.equals(Buffer.from(body)))
    t.ok(got, 'delivered byte for byte')
    const shapedBody = JSON.parse(sub.to('/shaped').at(-1)!.body.toString())
    t.same(shapedBody, { type: 'string', length: body.length }, 'the transform got the body as text')

    const page = await ui.get(`/ui/events/${eventId}`)
    t.equal(page.status, 200, 'the UI event page renders')
    t.match(page.text, new RegExp(`nested more than ${MAX_JSON_DEPTH} levels deep`))
    t.notMatch(page.text, /id="view-tree"/, 'no tree view')
    for (const d of ds) t.equal((await ui.get(`/ui/deliveries/${d.id}`)).status, 200, 'the delivery page renders')
    const preview = await relay.api('/api/v1/transforms/test', { body: { eventId, code: 'function transform(e) { return { type: typeof e.body } }' } })
    t.equal(preview.body.kind, 'payload')
    t.same(JSON.parse(preview.body.output.body), { type: 'string' }, 'the transform preview sees text too')
  })
}

t.test(`within the limit (${MAX_JSON_DEPTH} levels) it is still JSON`, async (t) => {
  for (const body of [arrays(MAX_JSON_DEPTH), objects(MAX_JSON_DEPTH - 1)]) {
    const eventId = await ingest(body)
    const ds = await settled(eventId)
    t.same(ds.map((d) => d.status), ['succeeded', 'succeeded'])
    t.equal(JSON.parse(sub.to('/shaped').at(-1)!.body.toString()).type, 'object', 'the transform got the parsed value')
    const page = await ui.get(`/ui/events/${eventId}`)
    t.equal(page.status, 200)
    t.match(page.text, /id="view-tree"/, 'a tree view')
    t.notMatch(page.text, /nested more than/)
  }
})
