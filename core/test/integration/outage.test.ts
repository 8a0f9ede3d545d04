// Postgres or Redis unreachable: ingest answers 503 with a JSON error (never a 500 or a
// stack), /readyz says which, and the relay recovers when the store comes back.
import t from 'tap'
import { tcpProxy as proxy } from '../../src/testing/index.ts'
import { createCoreTestEnv } from '../env.ts'

const env = await createCoreTestEnv('outage')
t.teardown(() => env.close())
const pgProxy = await proxy(5432)
const redisProxy = await proxy(6379)
t.teardown(async () => {
  await pgProxy.cut()
  await redisProxy.cut()
})
const relay = await env.start('api', {
  DATABASE_URL: env.databaseUrl.replace('127.0.0.1:5432', `127.0.0.1:${pgProxy.port}`),
  REDIS_URL: `redis://127.0.0.1:${redisProxy.port}`,
})
await relay.api('/api/v1/sources', { body: { name: 'Active', slug: 'active' } })
const ingest = () => fetch(`${relay.url}/in/active`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })

t.test('Redis down: 503 JSON, readyz names redis, recovers', async (t) => {
  t.equal((await ingest()).status, 202)
  await redisProxy.cut()
  await new Promise((r) => setTimeout(r, 200))
  const res = await ingest()
  t.equal(res.status, 503)
  const body = (await res.json()) as { code: string; message: string }
  t.equal(body.code, 'RELAY_ERR_STORE_UNAVAILABLE')
  t.match(body.message, /redis/)
  const ready = await fetch(`${relay.url}/readyz`)
  t.equal(ready.status, 503)
  t.not(((await ready.json()) as { checks: { redis: string } }).checks.redis, 'ok')
  await redisProxy.restore()
  let status = 0
  for (let i = 0; i < 50 && status !== 202; i++) {
    await new Promise((r) => setTimeout(r, 200))
    status = (await ingest()).status
  }
  t.equal(status, 202, 'accepting again once Redis is back')
})

t.test('Postgres down: 503 JSON, readyz names postgres, recovers', async (t) => {
  await pgProxy.cut()
  // Past the 1 s source cache, so the lookup itself meets the outage too.
  await new Promise((r) => setTimeout(r, 1200))
  const res = await ingest()
  t.equal(res.status, 503)
  const body = (await res.json()) as { code: string; message: string }
  t.equal(body.code, 'RELAY_ERR_STORE_UNAVAILABLE')
  t.notMatch(JSON.stringify(body), /\.ts:\d+/, 'no stack trace')
  const api = await relay.api('/api/v1/sources')
  t.equal(api.status, 503, 'the REST API answers 503 too')
  const ready = await fetch(`${relay.url}/readyz`)
  t.equal(ready.status, 503)
  await pgProxy.restore()
  let status = 0
  for (let i = 0; i < 50 && status !== 202; i++) {
    await new Promise((r) => setTimeout(r, 200))
    status = (await ingest()).status
  }
  t.equal(status, 202, 'accepting again once Postgres is back')
  const [{ n }] = (await env.query<{ n: number }>('SELECT count(*)::int AS n FROM events')) as [{ n: number }]
  t.ok(n >= 2, 'events accepted before and after are stored')
})
