// A third-party plugin, installed the way a user installs one: the plugin SDK packed as
// it is published (scripts/pack-package.ts: JavaScript and declarations), the example
// package packed with `npm pack` (its prepack builds it against the SDK), both tarballs
// installed with `npm install` into a fresh deployment directory, the relay started from
// that directory with RELAY_PLUGINS=<package name>, and a webhook reaching (a stand-in
// for) Mattermost. The plugin's SDK is the installed tarball, not the repository's.
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, realpath, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import t from 'tap'
import { createTestEnv, eventually, type TestRelay } from '@webhook-relay/core/testing'
import { startFakeMattermost } from '../../../examples/plugin-mattermost/test/mattermost-server.ts'
import { packPackage } from '../../../scripts/pack-package.ts'

const exec = promisify(execFile)
// npm and tsc run as a user would run them: tap puts its loader into NODE_OPTIONS of
// every process it sees spawned (and npm's own children then trip over it), so `env -u`
// takes it out after tap has had its say.
const run = (cmd: string, args: string[], opts: { cwd?: string; timeout?: number } = {}) => exec('env', ['-u', 'NODE_OPTIONS', cmd, ...args], opts)
const REPO = fileURLToPath(new URL('../../../', import.meta.url))
const EXAMPLE = join(REPO, 'examples/plugin-mattermost')
const PACKAGE = 'relay-plugin-mattermost'

const work = await mkdtemp(join(tmpdir(), 'relay-third-party-'))
t.teardown(() => rm(work, { recursive: true, force: true }))
const deploy = join(work, 'deployment')
const installed = join(deploy, 'node_modules', PACKAGE, 'dist/index.js')
let tarball = ''
let sdkTarball = ''

t.test('the SDK packs as JavaScript and declarations, with exports pointing at them', async (t) => {
  const dest = join(work, 'sdk')
  await mkdir(dest)
  sdkTarball = packPackage(join(REPO, 'sdk'), dest)
  const { stdout } = await run('tar', ['-tzf', sdkTarball])
  const files = stdout.trim().split('\n').filter((f) => !f.endsWith('/'))
  t.ok(files.includes('package/dist/index.js') && files.includes('package/dist/index.d.ts'), 'built output')
  t.notOk(files.some((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')), 'no TypeScript sources')
  const { stdout: manifest } = await run('tar', ['-xzOf', sdkTarball, 'package/package.json'])
  const pkg = JSON.parse(manifest) as { exports: unknown; scripts?: unknown }
  t.same(pkg.exports, {
    '.': { types: './dist/index.d.ts', default: './dist/index.js' },
    './template': { types: './dist/template.d.ts', default: './dist/template.js' },
  })
  t.notOk(pkg.scripts, 'no scripts in the published manifest')
  await t.rejects(run('npm', ['pack', '--dry-run', '--silent'], { cwd: join(REPO, 'sdk') }), 'a plain npm pack in sdk/ refuses (it would ship .ts sources)')
})

t.test('npm pack builds the package and ships JS and declarations only', async (t) => {
  await run('npm', ['pack', '--pack-destination', work, '--silent'], { cwd: EXAMPLE, timeout: 120_000 })
  tarball = join(work, (await readdir(work)).find((f) => f.endsWith('.tgz')) ?? 'no tarball')
  const { stdout } = await run('tar', ['-tzf', tarball])
  t.same(stdout.trim().split('\n').filter((f) => !f.endsWith('/')).sort(), [
    'package/README.md',
    'package/dist/config.d.ts',
    'package/dist/config.js',
    'package/dist/index.d.ts',
    'package/dist/index.js',
    'package/dist/message.d.ts',
    'package/dist/message.js',
    'package/dist/outcome.d.ts',
    'package/dist/outcome.js',
    'package/package.json',
  ])
})

t.test('npm install puts it into the deployment directory', async (t) => {
  await mkdir(deploy)
  await writeFile(join(deploy, 'package.json'), JSON.stringify({ name: 'relay-deployment', private: true }))
  // The SDK tarball with the plugin's, so the plugin's dependency on it is met from the
  // tarball (it is not on a registry); the SDK's own dependency (nunjucks) comes from
  // npm's cache, or the registry.
  await run('npm', ['install', sdkTarball, tarball, '--prefer-offline', '--legacy-peer-deps', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: deploy, timeout: 120_000 })
  t.ok(existsSync(installed))
  const sdk = join(deploy, 'node_modules/@webhook-relay/plugin-sdk')
  t.ok(existsSync(join(sdk, 'dist/index.js')), 'the SDK is installed from its tarball')
  t.equal(await realpath(sdk), sdk, 'a directory of its own, not a link into the repository')
  // The relay itself (@webhook-relay/core) is not published yet: a real deployment has
  // it installed there; this one links the repo's copy in, as npm links the workspace
  // packages in the Docker image. typebox, the plugin's peer, comes with it.
  await mkdir(join(deploy, 'node_modules/@webhook-relay'), { recursive: true })
  await symlink(join(REPO, 'core'), join(deploy, 'node_modules/@webhook-relay/core'), 'dir')
  await symlink(await realpath(join(REPO, 'node_modules/typebox')), join(deploy, 'node_modules/typebox'), 'dir')
})

// The relay starts from the deployment directory, as `cd deployment && npx relay all` would.
const env = await createTestEnv('third_party')
t.teardown(() => env.close())
const mattermost = await startFakeMattermost()
t.teardown(() => mattermost.close())
const startFrom = async (dir: string, plugins: string) => {
  const back = process.cwd()
  process.chdir(dir)
  try {
    return await env.start('all', { RELAY_PLUGINS: plugins })
  } finally {
    process.chdir(back)
  }
}
let relay: TestRelay

t.test('RELAY_PLUGINS=relay-plugin-mattermost boots and lists it', async (t) => {
  relay = await startFrom(deploy, PACKAGE)
  const { items } = (await relay.api('/api/v1/plugins')).body
  t.match(
    items.find((p: { name: string }) => p.name === 'mattermost'),
    { name: 'mattermost', version: '1.0.0', title: 'Mattermost message', apiVersion: 1, secrets: ['webhookUrl'], package: PACKAGE },
  )
  // Same module URL, same module instance: it came from the deployment's node_modules, not the repo's.
  const fromDeployment = ((await import(pathToFileURL(installed).href)) as { default: unknown }).default
  t.equal(relay.services.plugins.get('mattermost'), fromDeployment, 'loaded from the deployment directory')
})

t.test('a subscription with it delivers a webhook to Mattermost', async (t) => {
  const source = (await relay.api('/api/v1/sources', { body: { name: 'Shop', slug: 'shop' } })).body
  const webhookUrl = mattermost.hook()
  const sub = await relay.api('/api/v1/subscriptions', {
    body: { sourceId: source.id, action: 'mattermost', config: { webhookUrl, text: 'Order **{{payload.order.id}}** paid: {{payload.order.total}} EUR', username: 'shop-bot' } },
  })
  if (sub.status !== 201) throw new Error(`subscription refused: ${JSON.stringify(sub.body)}`)
  t.equal(sub.body.config.webhookUrl, '********', 'the webhook URL is a secret: never shown')
  const bad = await relay.api('/api/v1/subscriptions', { body: { sourceId: source.id, action: 'mattermost', config: { webhookUrl, colour: 'red' } } })
  t.equal(bad.status, 400, 'the plugin’s schema refuses unknown fields at creation')

  const res = await fetch(`${relay.url}/in/shop`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ order: { id: 'A-1001', total: 42.5 } }) })
  t.equal(res.status, 202)
  const { eventId } = (await res.json()) as { eventId: string }
  await eventually(() => mattermost.posts.length === 1, 'the post to reach Mattermost')
  t.match(mattermost.posts[0], { channel: 'town-square', text: 'Order **A-1001** paid: 42.5 EUR', username: 'shop-bot' })

  const [delivery] = (await relay.api(`/api/v1/events/${eventId}`)).body.deliveries
  const detail = await eventually(async () => {
    const d = (await relay.api(`/api/v1/deliveries/${delivery.id}`)).body
    return d.status === 'succeeded' ? d : null
  }, 'the delivery to be recorded as succeeded')
  t.match(detail.attempts[0].request.url, /\/hooks\/\*{8}$/, 'the delivery log has the hook key masked')
  t.match(detail.attempts[0].response, { status: 200, body: 'ok' })
})

t.test('a plugin that is not installed stops boot, naming the package and where it looked', async (t) => {
  await t.rejects(startFrom(deploy, 'relay-plugin-not-installed'), {
    name: 'PluginLoadError',
    message: new RegExp(`cannot load plugin "relay-plugin-not-installed": package not found from ${deploy.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
  })
})

