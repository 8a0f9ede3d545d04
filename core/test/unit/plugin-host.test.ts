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
const action = (name: string, apiVersion?: number) =>
  defineAction({
    name,
    version: '1.0.0',
    title: name,
    apiVersion,
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
