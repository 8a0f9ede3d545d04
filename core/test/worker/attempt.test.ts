// Attempt task: whatever goes wrong on the worker's side ends in an outcome, never a
// throw, and a plugin this worker lacks (a rolling deploy) is a retry, not a failure.
import pino from 'pino'
import t from 'tap'
import Type from 'typebox'
import { claim, type Claim } from '../../src/delivery/transitions.ts'
import { defineAction, ok, type ActionManifest } from '../../src/plugin/contract.ts'
import type { PluginHost } from '../../src/plugin/host.ts'
import type { EventRow } from '../../src/store/events.ts'
import { attempt, type AttemptDeps } from '../../src/worker/attempt.ts'
import { Loader } from '../../src/worker/load.ts'
import { taskFixture } from './fixture.ts'

const f = await taskFixture('attempt_task')
t.teardown(() => f.close())
const { db, box, plugins } = f.relay.services

/** The relay's plugin host with http-relay replaced (or removed) by the test. */
function hostWith(manifest: ActionManifest | undefined): PluginHost {
  return { get: () => manifest, openConfig: (action: string, c: Record<string, unknown>) => plugins.openConfig(action, c) } as unknown as PluginHost
}
const deps = (manifest: ActionManifest | undefined): AttemptDeps => {
  const host = hostWith(manifest)
  return { plugins: host, transforms: null, loader: new Loader({ db, plugins: host, box }), http: {} as AttemptDeps['http'], connect: {} as AttemptDeps['connect'], signer: {} as AttemptDeps['signer'], log: pino({ level: 'silent' }) }
}
const action = (deliver: ActionManifest['deliver']) => defineAction({ apiVersion: 1, name: 'http-relay', version: '1.0.0', title: 'stand-in', config: Type.Object({}), deliver })
async function claimed(): Promise<{ c: Claim; event: EventRow }> {
  const id = await f.delivery()
  const [c] = (await claim(db, [id], { worker: 'w', defaultTimeoutMs: 15_000, maxTimeoutMs: 60_000, leaseMarginMs: 1_000 })).claimed
  return { c: { ...c!, timeout_ms: 200 }, event: c!.event! }
}
const never = new AbortController().signal

t.test('a plugin this worker does not have: retry with the reason', async (t) => {
  const { c, event } = await claimed()
  const r = await attempt(deps(undefined), c, event, never)
  t.match(r.outcome, { outcome: 'retry', reason: 'action plugin "http-relay" is not installed on this worker' })
})

t.test('the plugin is called with the delivery and the subscription’s config', async (t) => {
  const { c, event } = await claimed()
  let seen: { webhookId?: string; attempt?: number; url?: unknown } = {}
  const r = await attempt(deps(action(async (input) => {
    seen = { webhookId: input.delivery.webhookId, attempt: input.delivery.attempt, url: input.config.url }
    return ok()
  })), c, event, never)
  t.equal(r.outcome.outcome, 'ok')
  t.same(seen, { webhookId: c.webhook_id, attempt: 1, url: 'http://127.0.0.1:9/x' })
})

t.test('a plugin that throws, or outlives the subscription’s timeout: retry, not a crash', async (t) => {
  const { c, event } = await claimed()
  t.match((await attempt(deps(action(async () => { throw new Error('boom') })), c, event, never)).outcome, { outcome: 'retry', reason: 'plugin http-relay threw: boom' })
  const slow = action((input) => new Promise((_, reject) => input.signal.addEventListener('abort', () => reject(new Error('aborted')))))
  t.match((await attempt(deps(slow), c, event, never)).outcome, { outcome: 'retry', reason: 'timed out after 200 ms' })
})

t.test('an event that is gone: retry with the reason', async (t) => {
  const { c } = await claimed()
  t.match((await attempt(deps(action(async () => ok())), c, undefined, never)).outcome, { outcome: 'retry', reason: /no longer exists/ })
})
