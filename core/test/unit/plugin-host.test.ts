// The plugin host refuses bad plugins at boot with a clear message, validates configs,
// seals secrets and masks them.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import Type from 'typebox'
import { defineAction, ok } from '../../src/plugin/contract.ts'
import { MASK, PluginHost, PluginLoadError } from '../../src/plugin/host.ts'
import { createSecretBox } from '../../src/secrets/secret-box.ts'

const box = createSecretBox(Buffer.alloc(32, 1))
const action = (name: string, apiVersion: number = 1) =>
  defineAction({
    name,
    version: '1.0.0',
    title: name,
    apiVersion: apiVersion as 1,
    config: Type.Object({ url: Type.String({ format: 'uri' }), token: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
    secrets: ['token'],
    deliver: async () => ok(),
  })

t.test('duplicate names and unsupported apiVersion fail at boot', async (t) => {
  const host = new PluginHost(box)
  host.register(action('a'), 'pkg-a')
  t.throws(() => host.register(action('a'), 'pkg-a2'), new PluginLoadError('two plugins are named "a": pkg-a and pkg-a2'))
  t.throws(() => host.register(action('b', 2), 'pkg-b'), { message: /declares apiVersion 2; this relay supports 1/ })
  await t.rejects(host.load(['@acme/not-installed']), { name: 'PluginLoadError', message: /cannot load plugin "@acme\/not-installed"/ })
})

t.test('a manifest is checked against its schema, with the path of each error', async (t) => {
  const host = new PluginHost(box)
  const { apiVersion: _, ...unversioned } = action('old')
  t.throws(() => host.register(unversioned, 'pkg-old'), {
    name: 'PluginLoadError',
    message: 'plugin "pkg-old" (old) states no apiVersion: a plugin names the plugin API it was built against (apiVersion: 1); this relay supports 1',
  }, 'no longer filled in from the relay that loads it')
  t.throws(() => host.register({ ...action('nine'), apiVersion: 9 }, 'pkg-nine'), { message: /declares apiVersion 9; this relay supports 1: install a version of the plugin built for one of them/ })
  t.throws(() => host.register({ ...action('bad'), title: 7, version: '' }, 'pkg-bad'), {
    message: 'plugin "pkg-bad" (bad): the manifest is not valid: /version must not have fewer than 1 characters; /title must be string',
  }, 'every error, each with its path')
  t.throws(() => host.register({ ...action('cfg'), config: { type: 'string' } }, 'pkg-cfg'), { message: /\/config\/type/ })
  t.throws(() => host.register({ ...action('Upper') }, 'pkg-upper'), { message: /\/name must match pattern/ })
  t.throws(() => host.register({ ...action('nodeliver'), deliver: 'x' }, 'pkg-nd'), { message: /has no deliver\(\) function/ })
  t.throws(() => host.register(undefined, 'pkg-none'), { message: /has no manifest as its default export/ })
  t.throws(() => host.register({ ...action('kind'), kind: 'filter' }, 'pkg-kind'), { message: /unknown kind "filter"/ })
  t.same(host.list(), [], 'nothing refused was registered')
})

t.test('close() of every action plugin runs once at shutdown; one that throws does not stop the rest', async (t) => {
  const host = new PluginHost(box)
  const closed: string[] = []
  host.register({ ...action('a'), close: () => void closed.push('a') }, 'pkg-a')
  host.register({ ...action('b'), close: async () => Promise.reject(new Error('pool already gone')) }, 'pkg-b')
  host.register({ ...action('c'), close: async () => void closed.push('c') }, 'pkg-c')
  host.register(action('d'), 'pkg-d')
  const warned: object[] = []
  await host.close({ warn: (o) => void warned.push(o) })
  t.same(closed.sort(), ['a', 'c'])
  t.same(warned, [{ plugin: 'b', err: 'pool already gone' }])
  t.throws(() => host.register({ ...action('e'), close: 'soon' }, 'pkg-e'), { message: /close must be a function/ })
})

t.test('config: validated with the error path, secrets sealed, masked, kept when masked on edit', async (t) => {
  const host = new PluginHost(box)
  host.register(action('a'), 'pkg-a')
  t.throws(() => host.prepareConfig('a', { url: 'https://x.example', token: '' }), { code: 'RELAY_ERR_INVALID_CONFIG', message: /\/token/ })
  t.throws(() => host.prepareConfig('a', { url: 'https://x.example', token: 't', extra: 1 }), { code: 'RELAY_ERR_INVALID_CONFIG' })
  t.throws(() => host.prepareConfig('zzz', {}), { code: 'RELAY_ERR_PLUGIN_NOT_FOUND' })
  const stored = host.prepareConfig('a', { url: 'https://x.example', token: 'hunter2' })
  t.match(stored.token, /^enc:v2:[0-9a-f]{16}\./)
  t.same(host.maskConfig('a', stored), { url: 'https://x.example', token: MASK })
  t.same(host.openConfig('a', stored), { url: 'https://x.example', token: 'hunter2' })
  const edited = host.prepareConfig('a', { url: 'https://y.example', token: MASK }, stored)
  t.equal(edited.token, stored.token, 'a masked secret keeps the stored value')
  t.equal(edited.url, 'https://y.example')
})

t.test('secret box: authenticated encryption, wrong key refused', async (t) => {
  const sealed = box.seal('s3cret')
  t.not(sealed, box.seal('s3cret'), 'random IV')
  t.equal(box.open(sealed), 's3cret')
  t.throws(() => createSecretBox(Buffer.alloc(32, 2)).open(sealed), /neither RELAY_ENCRYPTION_KEY/)
  t.throws(() => box.open(sealed.slice(0, -2) + 'AA'), /cannot decrypt/)
})

t.test('a plugin package that was never built says to run npm run build', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'relay-unbuilt-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const pkg = join(dir, 'node_modules', 'relay-plugin-unbuilt')
  mkdirSync(join(pkg, 'src'), { recursive: true })
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'relay-plugin-unbuilt', type: 'module', exports: { '.': './dist/index.js' } }))
  const host = new PluginHost(box)
  await t.rejects(host.load(['relay-plugin-unbuilt'], dir), { name: 'PluginLoadError', message: /dist.*run `npm run build` in its directory/ })
  await t.rejects(host.load([join(pkg, 'dist', 'index.js')], dir), { message: /run `npm run build`/ }, 'a path to an unbuilt entry file too')
  const missing = await host.load(['@acme/not-installed'], dir).then(() => '', (err: Error) => err.message)
  t.notMatch(missing, /npm run build/, 'a missing package is not called unbuilt')
})
