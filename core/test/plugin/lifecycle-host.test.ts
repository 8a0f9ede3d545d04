// Lifecycle plugins share the host with action plugins: one namespace of names, the same
// apiVersion check, and they never show up as an action a subscription could use.
import t from 'tap'
import Type from 'typebox'
import { defineAction, defineLifecycle, ok } from '../../src/plugin/contract.ts'
import { PluginHost, PluginLoadError } from '../../src/plugin/host.ts'
import { createSecretBox } from '../../src/secrets/secret-box.ts'

const box = createSecretBox(Buffer.alloc(32, 1))
const action = (name: string) =>
  defineAction({ apiVersion: 1, name, version: '1.0.0', title: name, config: Type.Object({}), deliver: async () => ok() })
const lifecycle = (name: string, extra: object = {}) => ({ ...defineLifecycle({ apiVersion: 1, name, version: '1.0.0', title: name, routes: async () => {} }), ...extra })

t.test('a lifecycle plugin registers apart from actions', async (t) => {
  const host = new PluginHost(box)
  host.register(action('http-relay'), 'pkg-http')
  host.register(lifecycle('dlq'), 'pkg-dlq')
  t.same(host.lifecycle().map((m) => m.name), ['dlq'])
  t.same(host.list().map((p) => p.name), ['http-relay'], 'not offered as a subscription action')
  t.equal(host.get('dlq'), undefined)
  t.match(host.listLifecycle(), [{ name: 'dlq', apiVersion: 1, package: 'pkg-dlq' }])
})

t.test('names are unique across both kinds', async (t) => {
  const host = new PluginHost(box)
  host.register(action('dlq'), 'pkg-a')
  t.throws(() => host.register(lifecycle('dlq'), 'pkg-b'), new PluginLoadError('two plugins are named "dlq": pkg-a and pkg-b'))
  const other = new PluginHost(box)
  other.register(lifecycle('dlq'), 'pkg-b')
  t.throws(() => other.register(action('dlq'), 'pkg-a'), new PluginLoadError('two plugins are named "dlq": pkg-b and pkg-a'))
})

t.test('bad lifecycle manifests fail at boot with a clear message', async (t) => {
  const host = new PluginHost(box)
  t.throws(() => host.register(lifecycle('x', { apiVersion: 9 }), 'pkg-x'), { message: /pkg-x" \(x\) declares apiVersion 9; this relay supports 1/ })
  t.throws(() => host.register(lifecycle('y', { routes: 'nope' }), 'pkg-y'), { message: /routes must be a function/ })
  t.throws(() => host.register(lifecycle('z', { kind: 'cron' }), 'pkg-z'), { message: /unknown kind "cron"/ })
})
