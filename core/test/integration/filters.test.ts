// Event filters end to end: an api and two worker processes on real PostgreSQL and
// Redis, one source with an unfiltered subscription and two filtered ones, a mix of
// GitHub-like events (pushes to branches and tags, other event types, a body that is not
// JSON). Each subscription receives exactly the events its filter accepts; every other
// event lists it as filtered; a filter is checked when saved; and a fan-out cut off
// between deciding and writing leaves the event pending, not lost.
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { createFanout } from '../../src/delivery/transitions.ts'
import { eventually, listeningAddress, startSubscriber } from '../../src/testing/index.ts'
import { createCoreTestEnv } from '../env.ts'

const BIN = fileURLToPath(new URL('../../src/bin/relay.ts', import.meta.url))
const env = await createCoreTestEnv('filters')
t.teardown(() => env.close())
const sub = await startSubscriber()
t.teardown(() => sub.close())
const api = await env.start('api')

const source = (await api.api('/api/v1/sources', { body: { name: 'gh', slug: 'gh' } })).body
const subscribe = async (path: string, filter?: unknown) => {
  const r = await api.api('/api/v1/subscriptions', { body: { sourceId: source.id, action: 'http-relay', config: { url: `${sub.url}${path}` }, ...(filter === undefined ? {} : { filter }) } })
  if (r.status !== 201) throw new Error(JSON.stringify(r.body))
  return r.body as { id: string; filter: unknown }
}
const everything = await subscribe('/all')
const branchPushes = await subscribe('/branches', { all: [{ header: 'x-github-event', equals: 'push' }, { path: '$.ref', prefix: 'refs/heads/' }] })
const issues = await subscribe('/issues', { any: [{ header: 'x-github-event', equals: 'issues' }, { path: '$.issue.labels[0].name', in: ['bug', 'security'] }] })

t.test('a filter is checked when saved: the first problem, with where it is', async (t) => {
  const bad = await api.api('/api/v1/subscriptions', { body: { sourceId: source.id, action: 'http-relay', config: { url: `${sub.url}/x` }, filter: { all: [{ path: '$.ref', startsWith: 'refs/' }] } } })
  t.equal(bad.status, 400)
  t.match(bad.body, { code: 'RELAY_ERR_INVALID_FILTER', message: /^filter\.all\[0\]: a condition has exactly one test of equals, in, exists, prefix/ })
  const patch = await api.api(`/api/v1/subscriptions/${issues.id}`, { method: 'PATCH', body: { filter: { path: 'ref', exists: true } } })
  t.equal(patch.status, 400)
  t.match(patch.body.message, /^filter\.path: a path starts with \$/)
  t.same((await api.api(`/api/v1/subscriptions/${issues.id}`)).body.filter, issues.filter, 'the stored filter is unchanged')
  t.same(branchPushes.filter, { all: [{ header: 'x-github-event', equals: 'push' }, { path: '$.ref', prefix: 'refs/heads/' }] }, 'shown as saved')
})

type Kind = 'push-main' | 'push-tag' | 'issues' | 'labelled-push' | 'text'
const KINDS: Kind[] = ['push-main', 'push-tag', 'issues', 'labelled-push', 'text']
const request = (kind: Kind, i: number) => {
  const event = kind === 'issues' ? 'issues' : kind === 'text' ? 'ping' : 'push'
  const body = kind === 'text' ? `plain text ${i}` : JSON.stringify({
    n: i,
    ...(kind === 'push-main' || kind === 'labelled-push' ? { ref: 'refs/heads/main' } : kind === 'push-tag' ? { ref: 'refs/tags/v1.0' } : {}),
    ...(kind === 'issues' ? { action: 'opened', issue: { labels: [{ name: 'question' }] } } : kind === 'labelled-push' ? { issue: { labels: [{ name: 'security' }] } } : {}),
  })
  return fetch(`${api.url}/in/gh`, { method: 'POST', body, headers: { 'content-type': kind === 'text' ? 'text/plain' : 'application/json', 'x-github-event': event } })
}
/** Which of the three receive an event of this kind. */
const expected = (kind: Kind) => ({ all: true, branches: kind === 'push-main' || kind === 'labelled-push', issues: kind === 'issues' || kind === 'labelled-push' })

function spawnWorker(): ChildProcess {
  const child = spawn(process.execPath, [BIN, 'worker'], { env: { ...process.env, ...env.env, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => void child.kill('SIGTERM'))
  return child
}

t.test('two worker processes deliver each event to exactly the subscriptions whose filter accepts it', async (t) => {
  await Promise.all([listeningAddress(spawnWorker()), listeningAddress(spawnWorker())])
  const N = 100
  const sent: { id: string; kind: Kind }[] = []
  for (let i = 0; i < N; i += 20) {
    sent.push(...(await Promise.all(Array.from({ length: 20 }, async (_, j) => {
      const kind = KINDS[(i + j) % KINDS.length]!
      const r = await request(kind, i + j)
      t.equal(r.status, 202)
      return { id: ((await r.json()) as { eventId: string }).eventId, kind }
    }))))
  }
  const want = { all: N, branches: sent.filter((e) => expected(e.kind).branches).length, issues: sent.filter((e) => expected(e.kind).issues).length }
  await eventually(() => sub.to('/all').length >= want.all && sub.to('/branches').length >= want.branches && sub.to('/issues').length >= want.issues, 'the deliveries to arrive', 30_000)
  // Nothing more comes: wait until every event's fan-out is done and every delivery finished.
  await eventually(async () => (await env.query<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE fanout_status = 'pending'`))[0]!.n === 0, 'every fan-out to finish')
  await eventually(async () => (await env.query<{ n: number }>(`SELECT count(*)::int AS n FROM deliveries WHERE status <> 'succeeded'`))[0]!.n === 0, 'every delivery to succeed')
  t.equal(sub.to('/all').length, want.all, 'unfiltered: every event')
  t.equal(sub.to('/branches').length, want.branches, 'pushes to branches only')
  t.equal(sub.to('/issues').length, want.issues, 'issues events and pushes labelled bug/security')
  const got = (path: string) => new Set(sub.to(path).map((r) => (r.headers['content-type'] === 'text/plain' ? 'text' : String((JSON.parse(r.body.toString()) as { n: number }).n))))
  t.same([...got('/branches')].sort(), sent.map((e, i) => (expected(e.kind).branches ? String(i) : null)).filter((x) => x !== null).sort(), 'the right ones, each once')

  for (const e of sent.slice(0, KINDS.length)) {
    const view = (await api.api(`/api/v1/events/${e.id}`)).body
    const filtered = [...(expected(e.kind).branches ? [] : [branchPushes.id]), ...(expected(e.kind).issues ? [] : [issues.id])].sort()
    t.same([...view.filteredSubscriptions].sort(), filtered, `${e.kind}: filtered for exactly the subscriptions that rejected it`)
    t.same(view.deliveries.map((d: { subscriptionId: string }) => d.subscriptionId).sort(), [everything.id, ...(expected(e.kind).branches ? [branchPushes.id] : []), ...(expected(e.kind).issues ? [issues.id] : [])].sort(), `${e.kind}: a delivery for each of the others`)
  }
})

t.test('removing a filter delivers everything again', async (t) => {
  const before = sub.to('/branches').length
  t.equal((await api.api(`/api/v1/subscriptions/${branchPushes.id}`, { method: 'PATCH', body: { filter: null } })).body.filter, null)
  t.equal((await request('issues', 1000)).status, 202)
  await eventually(() => sub.to('/branches').length === before + 1, 'the unfiltered delivery')
})

t.test('a fan-out cut off after its first statement leaves the filtered event pending, then completes', async (t) => {
  await api.api(`/api/v1/subscriptions/${branchPushes.id}`, { method: 'PATCH', body: { filter: { path: '$.ref', exists: true } } })
  // A source of its own with no worker reading it would need another relay; instead the
  // first statement is run by hand on an event that no worker has fanned out yet.
  const other = (await api.api('/api/v1/sources', { body: { name: 'cut', slug: 'cut', mode: 'record' } })).body
  await api.api('/api/v1/subscriptions', { body: { sourceId: other.id, action: 'http-relay', config: { url: `${sub.url}/cut` }, filter: { path: '$.ok', equals: true } } })
  const ingest = await (await fetch(`${api.url}/in/cut`, { method: 'POST', body: '{"ok":true}', headers: { 'content-type': 'application/json' } })).json() as { eventId: string }
  // Recorded events are not fanned out; make this one pending as if it had arrived in active mode.
  await env.query(`UPDATE events SET fanout_status = 'pending' WHERE id = $1`, [ingest.eventId])
  const first = await createFanout(api.services.db, [ingest.eventId])
  t.same(first, { deliveries: [], toFilter: [ingest.eventId] }, 'the filter has to decide: nothing written yet')
  const [row] = await env.query<{ fanout_status: string }>('SELECT fanout_status FROM events WHERE id = $1', [ingest.eventId])
  t.equal(row!.fanout_status, 'pending', 'still pending: the reconciler would enqueue it again')
  // The workers' reconciler finds it (RELAY_RECONCILE_GRACE_MS) and fans it out.
  await eventually(() => sub.to('/cut').length === 1, 'the reconciler to bring it through', 20_000)
})
