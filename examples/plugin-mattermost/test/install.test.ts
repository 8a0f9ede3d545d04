// A third-party plugin, installed the way a user installs one, with nothing of the
// repository in the deployment: the plugin SDK and the relay's core packed as they are
// published (scripts/pack-package.ts: JavaScript, declarations, the core's migrations),
// this example packed with `npm pack` (its prepack builds it against the SDK), the three
// tarballs installed with `npm install` into a fresh directory, the relay started there
// from the installed package's bin with RELAY_PLUGINS=<this package>, and a webhook
// reaching (a stand-in for) Mattermost through it.
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { lstat, mkdir, mkdtemp, readdir, readlink, realpath, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import t from 'tap'
import { createTestEnv, eventually, listeningAddress, TEST_ADMIN_TOKEN } from '@webhook-relay/core/testing'
import { startFakeMattermost } from './mattermost-server.ts'

const exec = promisify(execFile)
// npm and tsc run as a user would run them: tap puts its loader into NODE_OPTIONS of
// every process it sees spawned (and npm's own children then trip over it), so `env -u`
// takes it out after tap has had its say.
const run = (cmd: string, args: string[], opts: { cwd?: string; timeout?: number } = {}) => exec('env', ['-u', 'NODE_OPTIONS', cmd, ...args], { maxBuffer: 16 << 20, ...opts })
const EXAMPLE = fileURLToPath(new URL('../', import.meta.url))
const REPO = resolve(EXAMPLE, '../..')
/** The packer is the repository's release tool, run as a command (it is not installed). */
const pack = async (dir: string, dest: string) => (await run(process.execPath, [join(REPO, 'scripts/pack-package.ts'), join(REPO, dir), dest], { timeout: 120_000 })).stdout.trim().split('\n').at(-1)!
const PACKAGE = 'relay-plugin-mattermost'

const work = await mkdtemp(join(tmpdir(), 'relay-install-'))
t.teardown(() => rm(work, { recursive: true, force: true }))
const deploy = join(work, 'deployment')
const tarballs: Record<'sdk' | 'core' | 'plugin', string> = { sdk: '', core: '', plugin: '' }
const filesOf = async (tarball: string) => (await run('tar', ['-tzf', tarball])).stdout.trim().split('\n').filter((f) => !f.endsWith('/'))
const manifestOf = async (tarball: string) => JSON.parse((await run('tar', ['-xzOf', tarball, 'package/package.json'])).stdout) as Record<string, unknown>

t.test('the SDK packs as JavaScript and declarations, with exports pointing at them', async (t) => {
  tarballs.sdk = await pack('sdk', work)
  const files = await filesOf(tarballs.sdk)
  t.ok(files.includes('package/dist/index.js') && files.includes('package/dist/index.d.ts'), 'built output')
  t.notOk(files.some((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')), 'no TypeScript sources')
  const pkg = await manifestOf(tarballs.sdk)
  t.same(pkg.exports, {
    '.': { types: './dist/index.d.ts', default: './dist/index.js' },
    './template': { types: './dist/template.d.ts', default: './dist/template.js' },
  })
  t.notOk(pkg.scripts, 'no scripts in the published manifest')
  await t.rejects(run('npm', ['pack', '--dry-run', '--silent'], { cwd: join(REPO, 'sdk') }), 'a plain npm pack in sdk/ refuses (it would ship .ts sources)')
})

t.test('the core packs as JavaScript with its migrations, Lua scripts and a bin', async (t) => {
  tarballs.core = await pack('core', work)
  const files = await filesOf(tarballs.core)
  t.notOk(files.some((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')), 'no TypeScript sources')
  t.ok(files.includes('package/dist/bin/relay.js') && files.includes('package/dist/transform/sandbox-process.js'), 'the entry points a process is started from')
  t.ok(files.includes('package/dist/redis/move-due.lua'), 'the Lua script beside the module that reads it')
  t.ok(files.filter((f) => /^package\/sql\/\d{4}_.+\.sql$/.test(f)).length >= 18, 'the migrations')
  t.notOk(files.some((f) => f.includes('/test/') || f.includes('/bench/')), 'no tests or benchmarks')
  const pkg = await manifestOf(tarballs.core)
  t.same(pkg.bin, { 'webhook-relay': './dist/bin/relay.js' })
  t.match(pkg.exports, { '.': { default: './dist/index.js' }, './testing': { default: './dist/testing/index.js' } })
  t.notOk(pkg.scripts || pkg.devDependencies, 'no scripts or dev dependencies in the published manifest')
  await t.rejects(run('npm', ['pack', '--dry-run', '--silent'], { cwd: join(REPO, 'core') }), 'a plain npm pack in core/ refuses')
})

t.test('npm pack builds the plugin and ships JS and declarations only', async (t) => {
  const dest = join(work, 'plugin')
  await mkdir(dest)
  await run('npm', ['pack', '--pack-destination', dest, '--silent'], { cwd: EXAMPLE, timeout: 120_000 })
  tarballs.plugin = join(dest, (await readdir(dest)).find((f) => f.endsWith('.tgz')) ?? 'no tarball')
  t.same((await filesOf(tarballs.plugin)).sort(), [
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

/** Every symbolic link under `dir` whose target is outside it. */
async function linksOut(dir: string, root = dir, out: string[] = []): Promise<string[]> {
  for (const name of await readdir(dir)) {
    const p = join(dir, name)
    const st = await lstat(p)
    if (st.isSymbolicLink()) {
      const target = resolve(dirname(p), await readlink(p))
      if (!target.startsWith(`${root}/`)) out.push(`${p} -> ${target}`)
    } else if (st.isDirectory()) await linksOut(p, root, out)
  }
  return out
}

t.test('npm install puts the relay and the plugin into a fresh directory, nothing linked to the repository', async (t) => {
  await mkdir(deploy)
  await writeFile(join(deploy, 'package.json'), JSON.stringify({ name: 'relay-deployment', private: true }))
  // The three tarballs together, so the plugin's and the core's dependency on the SDK is
  // met from its tarball (none is on a registry); their own dependencies come from npm's
  // cache or the registry. isolated-vm ships a prebuilt addon for linux-x64, so no
  // install script needs to run.
  await run('npm', ['install', tarballs.sdk, tarballs.core, tarballs.plugin, '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: deploy, timeout: 170_000 })
  for (const p of ['@webhook-relay/core/dist/index.js', '@webhook-relay/plugin-sdk/dist/index.js', `${PACKAGE}/dist/index.js`]) t.ok(existsSync(join(deploy, 'node_modules', p)), p)
  t.same(await linksOut(join(deploy, 'node_modules')), [], 'no link leaves the deployment directory')
  t.equal(await realpath(join(deploy, 'node_modules/.bin/webhook-relay')), join(deploy, 'node_modules/@webhook-relay/core/dist/bin/relay.js'), 'the bin is the installed core’s')
})

// Only the database, the Redis prefix and their cleanup come from the repository's test
// harness; the relay is the installed one, started as `npx webhook-relay all` would.
const env = await createTestEnv('install')
t.teardown(() => env.close())
const mattermost = await startFakeMattermost()
t.teardown(() => mattermost.close())
const children: ChildProcess[] = []
t.teardown(() => children.forEach((c) => c.kill('SIGTERM')))
const startInstalled = (plugins: string) => {
  const child = spawn(join(deploy, 'node_modules/.bin/webhook-relay'), ['all'], {
    cwd: deploy,
    // No NODE_OPTIONS (tap's loader) and no path into the repository: PATH finds node.
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env.env, RELAY_PLUGINS: plugins, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push(child)
  return child
}
let url = ''
const api = async (path: string, body?: unknown) => {
  const res = await fetch(`${url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the test reads ad-hoc response shapes
  return { status: res.status, body: (await res.json()) as any }
}

t.test('the installed relay boots with RELAY_PLUGINS=relay-plugin-mattermost and lists it', async (t) => {
  url = await listeningAddress(startInstalled(PACKAGE), 60_000)
  const { items } = (await api('/api/v1/plugins')).body
  t.same(items.map((p: { name: string }) => p.name), ['mattermost'], 'the core alone loads only what RELAY_PLUGINS names')
  t.match(items[0], { name: 'mattermost', version: '1.0.0', title: 'Mattermost message', apiVersion: 1, secrets: ['webhookUrl'], package: PACKAGE })
})

t.test('a subscription with it delivers a webhook to Mattermost', async (t) => {
  const source = (await api('/api/v1/sources', { name: 'Shop', slug: 'shop' })).body
  const webhookUrl = mattermost.hook()
  const sub = await api('/api/v1/subscriptions', { sourceId: source.id, action: 'mattermost', config: { webhookUrl, text: 'Order **{{payload.order.id}}** paid: {{payload.order.total}} EUR', username: 'shop-bot' } })
  if (sub.status !== 201) throw new Error(`subscription refused: ${JSON.stringify(sub.body)}`)
  t.equal(sub.body.config.webhookUrl, '********', 'the webhook URL is a secret: never shown')
  const bad = await api('/api/v1/subscriptions', { sourceId: source.id, action: 'mattermost', config: { webhookUrl, colour: 'red' } })
  t.equal(bad.status, 400, 'the plugin’s schema refuses unknown fields at creation')

  const res = await fetch(`${url}/in/shop`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ order: { id: 'A-1001', total: 42.5 } }) })
  t.equal(res.status, 202)
  const { eventId } = (await res.json()) as { eventId: string }
  await eventually(() => mattermost.posts.length === 1, 'the post to reach Mattermost', 20_000)
  t.match(mattermost.posts[0], { channel: 'town-square', text: 'Order **A-1001** paid: 42.5 EUR', username: 'shop-bot' })

  const [delivery] = (await api(`/api/v1/events/${eventId}`)).body.deliveries
  const detail = await eventually(async () => {
    const d = (await api(`/api/v1/deliveries/${delivery.id}`)).body
    return d.status === 'succeeded' ? d : null
  }, 'the delivery to be recorded as succeeded')
  t.match(detail.attempts[0].request.url, /\/hooks\/\*{8}$/, 'the delivery log has the hook key masked')
  t.match(detail.attempts[0].response, { status: 200, body: 'ok' })
})

t.test('a plugin that is not installed stops boot with exit code 78, naming the package and where it looked', async (t) => {
  const child = startInstalled('relay-plugin-not-installed')
  let err = ''
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()))
  const code = await new Promise<number | null>((r) => child.on('exit', r))
  t.equal(code, 78)
  t.match(err, `cannot load plugin "relay-plugin-not-installed": package not found from ${deploy}`)
})
