// Development secrets are kept per database, not per working directory: `npm start`
// from another directory against the same database reuses the generated token and
// encryption key (it used to generate new ones and fail every delivery), and a legacy
// .relay-dev-secrets.json in the working directory is moved in.
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { TEST_DATABASE_HOST, TEST_REDIS_URL } from '../../src/testing/relay-env.ts'
import { dropRelayState, listeningAddress } from '../../src/testing/relay-process.ts'

const RELAY_BIN = fileURLToPath(new URL('../../src/bin/relay.ts', import.meta.url))
const id = randomBytes(4).toString('hex')
const database = `relay_t_devsecrets_${id}`
const redisPrefix = `t:devsecrets_${id}:`
const config = mkdtempSync(join(tmpdir(), 'relay-dev-config-'))
const dirs = [mkdtempSync(join(tmpdir(), 'relay-dev-a-')), mkdtempSync(join(tmpdir(), 'relay-dev-b-'))]
t.teardown(async () => {
  for (const d of [config, ...dirs]) rmSync(d, { recursive: true, force: true })
  await dropRelayState({ pgHost: TEST_DATABASE_HOST, database, redisUrl: TEST_REDIS_URL, redisPrefix })
})

/** Starts `relay.ts all` in development mode from `cwd`, reads its banner, stops it. */
async function startFrom(cwd: string, extraEnv: Record<string, string> = {}): Promise<{ token: string; out: string; code: number | null }> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', XDG_CONFIG_HOME: config,
    NODE_ENV: 'development', DATABASE_URL: `${TEST_DATABASE_HOST}/${database}`, REDIS_URL: TEST_REDIS_URL, RELAY_REDIS_PREFIX: redisPrefix,
    PORT: '0', RELAY_METRICS_PORT: '0', LOG_LEVEL: 'warn', ...extraEnv,
  }
  const child = spawn(process.execPath, [RELAY_BIN, 'all'], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.on('data', (c: Buffer) => (out += c.toString()))
  child.stderr.on('data', (c: Buffer) => (out += c.toString()))
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
  try {
    await listeningAddress(child)
  } catch {
    return { token: '', out, code: await exited }
  }
  await new Promise((r) => setTimeout(r, 100))
  child.kill('SIGTERM')
  const code = await exited
  const token = /Authorization: Bearer (\S+)\)/.exec(out)?.[1] ?? ''
  return { token, out, code }
}

t.test('a second directory against the same database reuses the generated secrets', async (t) => {
  const first = await startFrom(dirs[0]!)
  t.equal(first.code, 0, first.out)
  t.match(first.token, /^\S{16,}$/, 'a development token was generated')
  const file = join(config, 'webhook-relay', 'dev-secrets.json')
  t.ok(existsSync(file), 'kept in the config directory')
  t.notOk(existsSync(join(dirs[0]!, '.relay-dev-secrets.json')), 'not in the working directory')
  const saved = JSON.parse(readFileSync(file, 'utf8')) as Record<string, { RELAY_ADMIN_TOKEN: string }>
  const key = Object.keys(saved).find((k) => k.endsWith(`/${database}`))
  t.ok(key, 'keyed by the database')
  t.notMatch(key!, /:[^/@]*@.*:.*@/, 'no password in the key')

  const second = await startFrom(dirs[1]!)
  t.equal(second.code, 0, `started from another directory: ${second.out}`)
  t.equal(second.token, first.token, 'the same token')
  t.notMatch(second.out, /was set up with another encryption key/)
})

t.test('a legacy .relay-dev-secrets.json in the working directory is moved in', async (t) => {
  // What an older version left behind: this database's secrets, in the working directory
  // it was started from, and nothing in the config directory.
  const file = join(config, 'webhook-relay', 'dev-secrets.json')
  const secrets = Object.values(JSON.parse(readFileSync(file, 'utf8')) as Record<string, { RELAY_ADMIN_TOKEN: string }>)[0]!
  writeFileSync(join(dirs[1]!, '.relay-dev-secrets.json'), JSON.stringify(secrets))
  rmSync(join(config, 'webhook-relay'), { recursive: true, force: true })
  const again = await startFrom(dirs[1]!)
  t.equal(again.code, 0, again.out)
  t.equal(again.token, secrets.RELAY_ADMIN_TOKEN, 'the legacy secrets are used')
  t.match(again.out, /moved .*\.relay-dev-secrets\.json into/)
  t.ok(existsSync(join(dirs[1]!, '.relay-dev-secrets.json.moved')))
  t.ok(existsSync(file), 'and kept per database from now on')
})
