/**
 * `node scripts/image/run-image.ts <image>`: the built image, run as production runs it.
 * Containers with host networking (the only network here), a read-only root filesystem
 * with /tmp as the one writable path (as the chart mounts it), uid 1000, every
 * capability dropped, no privilege escalation, against this machine's PostgreSQL and
 * Redis in a database and key prefix of their own:
 *
 *   1. `migrate` applies the schema and exits 0;
 *   2. an `api` and a `worker` container start (ports chosen by the kernel, read back
 *      from their logs) and answer /readyz, and /metrics on the metrics port only;
 *   3. a webhook goes through them to a subscriber on this host, signed, and through a
 *      transform (the sandbox's native addon loads from what the image kept of it);
 *   4. the containers cannot write their code and run as uid 1000, not root;
 *   5. SIGTERM drains the worker and the api: both exit 0.
 *
 * Prints one line per check and exits non-zero on the first that fails.
 */
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { promisify } from 'node:util'
import { adminApi, dropRelayState } from '../../core/src/testing/relay-process.ts'
import { startSubscriber } from '../../core/src/testing/subscriber.ts'

const run = promisify(execFile)
const image = process.argv[2] ?? ''
if (!image) throw new Error('usage: run-image.ts <image>')

const PG_HOST = process.env.CHECK_DATABASE_HOST ?? 'postgres://postgres@127.0.0.1:5432'
const REDIS_URL = process.env.CHECK_REDIS_URL ?? 'redis://127.0.0.1:6379'
const id = randomBytes(4).toString('hex')
const database = `relay_image_${id}`
const redisPrefix = `image:${id}:`
const token = randomBytes(24).toString('base64url')
const containers: string[] = []

const docker = async (...args: string[]) => (await run('docker', args, { maxBuffer: 16 << 20 })).stdout.trim()
const ok = (what: string) => console.log(`ok  ${what}`)

/** docker run arguments shared by every role: the hardening the chart applies. */
function runArgs(name: string, env: Record<string, string>): string[] {
  const base = {
    NODE_ENV: 'production',
    DATABASE_URL: `${PG_HOST}/${database}`,
    REDIS_URL,
    RELAY_REDIS_PREFIX: redisPrefix,
    RELAY_ADMIN_TOKEN: token,
    RELAY_ENCRYPTION_KEY: ENCRYPTION_KEY,
    HOST: '127.0.0.1',
    PORT: '0',
    RELAY_METRICS_PORT: '0',
    RELAY_EGRESS_ALLOW: '127.0.0.0/8',
    ...env,
  }
  return [
    '--name', name, '--network', 'host', '--read-only', '--tmpfs', '/tmp:size=64m', '--user', '1000:1000',
    '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges',
    ...Object.entries(base).flatMap(([k, v]) => ['-e', `${k}=${v}`]),
  ]
}
const ENCRYPTION_KEY = randomBytes(32).toString('base64')

async function logs(name: string): Promise<string> {
  const r = await run('docker', ['logs', name], { maxBuffer: 16 << 20 })
  return r.stdout + r.stderr
}

/** Starts a role detached and returns the address its log says it listens on. */
async function start(role: 'api' | 'worker'): Promise<{ name: string; url: string; metricsUrl: string }> {
  const name = `relay-image-${role}-${id}`
  containers.push(name)
  await docker('run', '-d', ...runArgs(name, {}), image, role)
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    const text = await logs(name)
    const url = /(?:listening on|health on) (http:\/\/[\d.:]+)/.exec(text)?.[1]
    const metricsUrl = /metrics on (http:\/\/[\d.:]+)\/metrics|Metrics:\s+(http:\/\/[\d.:]+)\/metrics/.exec(text)
    if (url && metricsUrl) return { name, url, metricsUrl: (metricsUrl[1] ?? metricsUrl[2])! }
    const state = await docker('inspect', '-f', '{{.State.Status}}', name)
    if (state === 'exited') throw new Error(`${role} exited at start:\n${text}`)
    await new Promise((r) => setTimeout(r, 200))
  }
  throw new Error(`${role} never said where it listens:\n${await logs(name)}`)
}

async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const v = await check().catch(() => undefined)
    if (v !== undefined) return v
    await new Promise((r) => setTimeout(r, 200))
  }
  throw new Error(`timed out waiting for ${what}`)
}

async function stop(name: string): Promise<{ code: number; ms: number }> {
  const started = Date.now()
  await docker('kill', '--signal', 'TERM', name)
  const code = Number(await docker('wait', name))
  return { code, ms: Date.now() - started }
}

const subscriber = await startSubscriber()
try {
  const admin = `${PG_HOST}/postgres`
  await run('psql', [admin, '-qc', `CREATE DATABASE ${database}`])

  const migrated = await run('docker', ['run', '--rm', ...runArgs(`relay-image-migrate-${id}`, {}), image, 'migrate'])
  if (!/applied|up to date/.test(migrated.stdout)) throw new Error(`migrate said: ${migrated.stdout}${migrated.stderr}`)
  ok(`migrate: ${migrated.stdout.trim().split('\n').at(-1)!.slice(0, 100)}`)

  const api = await start('api')
  const worker = await start('worker')
  for (const c of [api, worker]) {
    await waitFor(`${c.name} /readyz`, async () => ((await fetch(`${c.url}/readyz`)).ok ? true : undefined))
    const metrics = await fetch(`${c.metricsUrl}/metrics`)
    if (!metrics.ok || !/# HELP/.test(await metrics.text())) throw new Error(`${c.name}: no metrics on ${c.metricsUrl}`)
  }
  if ((await fetch(`${api.url}/metrics`)).status !== 404) throw new Error('api answers /metrics on its main port')
  for (const asset of ['/ui/static/monaco/vs/loader.js', '/ui/static/htmx/htmx.min.js', '/ui/login']) {
    const r = await fetch(`${api.url}${asset}`)
    if (r.status !== 200) throw new Error(`${asset} answered ${r.status}: the image lacks a UI file`)
  }
  ok(`api ${api.url} and worker ${worker.url} ready; /metrics on ${api.metricsUrl} and ${worker.metricsUrl}, not on the main port; the UI and its Monaco files are served`)

  const call = adminApi(api.url, token)
  const source = await call('POST', '/sources', { name: 'Image check', slug: 'image-check' })
  await call('POST', '/subscriptions', { sourceId: source.id, action: 'http-relay', config: { url: `${subscriber.url}/hook` } })
  // A transform too: isolated-vm's native addon must load from what the image kept of it.
  const script = await call('POST', '/transforms', { name: 'shape', code: 'function transform(e) { return { shaped: e.body.hello } }' })
  await call('POST', '/subscriptions', { sourceId: source.id, action: 'http-relay', config: { url: `${subscriber.url}/shaped` }, transformVersionId: script.versionId })
  const body = JSON.stringify({ hello: 'from the image', id })
  const res = await fetch(`${api.url}/in/image-check`, { method: 'POST', body, headers: { 'content-type': 'application/json' } })
  if (res.status !== 202) throw new Error(`ingest answered ${res.status}: ${await res.text()}`)
  const got = await waitFor('the webhook at the subscriber', async () => subscriber.to('/hook')[0])
  if (got.body.toString() !== body) throw new Error(`the subscriber got ${got.body.toString()}`)
  if (!/^v1,/.test(String(got.headers['webhook-signature']))) throw new Error('the delivery is not signed')
  const shaped = await waitFor('the transformed webhook', async () => subscriber.to('/shaped')[0])
  if (shaped.body.toString() !== JSON.stringify({ shaped: 'from the image' })) throw new Error(`the transform delivered ${shaped.body.toString()}`)
  ok('a webhook went through the api and worker containers to the subscriber, signed, and through a transform (isolated-vm loads)')

  for (const c of [api, worker]) {
    const uid = await docker('exec', c.name, 'node', '-p', 'process.getuid() + ":" + process.getgid()')
    if (uid !== '1000:1000') throw new Error(`${c.name} runs as ${uid}`)
    // /home/node belongs to uid 1000: only a read-only root filesystem stops this write.
    const write = await run('docker', ['exec', c.name, 'sh', '-c', 'touch /home/node/x 2>&1; touch /tmp/x && echo tmp-writable']).then((r) => r.stdout.trim())
    if (!/Read-only file system/.test(write)) throw new Error(`${c.name}'s root filesystem is writable: ${write}`)
    if (!/tmp-writable/.test(write)) throw new Error(`${c.name} cannot write /tmp: ${write}`)
  }
  ok('both run as uid 1000 on a read-only root filesystem, /tmp writable')

  const w = await stop(worker.name)
  if (w.code !== 0) throw new Error(`worker exited ${w.code} on SIGTERM:\n${await logs(worker.name)}`)
  const a = await stop(api.name)
  if (a.code !== 0) throw new Error(`api exited ${a.code} on SIGTERM:\n${await logs(api.name)}`)
  ok(`SIGTERM: worker exited 0 after ${w.ms} ms, api exited 0 after ${a.ms} ms`)
} finally {
  await subscriber.close()
  for (const name of containers) await run('docker', ['rm', '-f', name]).catch(() => {})
  await dropRelayState({ pgHost: PG_HOST, database, redisUrl: REDIS_URL, redisPrefix }).catch((err: unknown) => console.error(`cleanup: ${String(err)}`))
}
