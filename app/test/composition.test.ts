// The relay as shipped, in one process: every built-in plugin loads, the UI is mounted
// at /ui, the dead-letter queue's routes are in the OpenAPI document, and booting emits
// no process warning (Fastify warns about malformed route schemas through them).
import t from 'tap'
import { createTestEnv } from '@webhook-relay/core/testing'
import { BUILTIN_PLUGINS, relayComposition } from '../src/composition.ts'

const warnings: string[] = []
const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`)
process.on('warning', onWarning)
t.teardown(() => void process.off('warning', onWarning))

const env = await createTestEnv('app_composition', {}, relayComposition)
t.teardown(() => env.close())
const relay = await env.start('all')

t.test('every built-in plugin is loaded', async (t) => {
  const { items } = (await relay.api('/api/v1/plugins')).body as { items: { name: string; package: string }[] }
  const lifecycle = relay.services.plugins.listLifecycle()
  t.same([...items.map((p) => p.package), ...lifecycle.map((p) => p.package)].sort(), [...BUILTIN_PLUGINS].sort())
})

t.test('the UI is mounted at /ui; the dead-letter routes are documented', async (t) => {
  const ui = await fetch(`${relay.url}/ui/login`)
  t.equal(ui.status, 200)
  t.match(await ui.text(), /Sign in/)
  const doc = (await (await fetch(`${relay.url}/api/docs/json`)).json()) as { paths: Record<string, Record<string, { tags?: string[]; summary?: string }>> }
  t.match(doc.paths['/api/v1/dead-letters']?.get, { tags: ['Dead-letter queue'], summary: 'List dead letters, newest first' })
  t.ok(doc.paths['/api/v1/dead-letters/{id}/replay']?.post)
})

t.test('booting emitted no process warning', async (t) => {
  await new Promise((r) => setImmediate(r))
  t.same(warnings, [])
})
