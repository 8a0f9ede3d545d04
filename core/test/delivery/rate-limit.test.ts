// Rate limits: the one check the API, the form and the manifest share, which limit
// applies, and the shared bucket itself (rate-take.lua) on a real Redis: slots handed
// out in order one interval apart, holders before fresh requests, burst after a quiet
// spell, and nothing kept once idle.
import { randomUUID } from 'node:crypto'
import t from 'tap'
import { checkedRateLimit, describeRateLimit, effectiveRateLimit, RateLimitError } from '../../src/delivery/rate-limit.ts'
import { checkManifest, PluginLoadError } from '../../src/plugin/manifest.ts'
import { createRedis } from '../../src/redis/client.ts'
import { TEST_REDIS_URL } from '../../src/testing/relay-env.ts'

t.test('a limit is checked with the field that is wrong; the burst defaults to 1', async (t) => {
  t.same(checkedRateLimit({ perSecond: 5 }), { perSecond: 5, burst: 1 })
  t.same(checkedRateLimit({ perSecond: 0.5, burst: 5 }), { perSecond: 0.5, burst: 5 })
  t.equal(checkedRateLimit(null), null)
  t.equal(checkedRateLimit(undefined), null)
  const refused: [unknown, RegExp][] = [
    [{ perSecond: 0 }, /^rateLimit\.perSecond: a number from 0\.001 to 10000$/],
    [{ perSecond: Number.NaN }, /^rateLimit\.perSecond/],
    [{ perSecond: '5' }, /^rateLimit\.perSecond/],
    [{ perSecond: 20_000 }, /^rateLimit\.perSecond/],
    [{ perSecond: 5, burst: 0 }, /^rateLimit\.burst: a whole number from 1 to 10000$/],
    [{ perSecond: 5, burst: 2.5 }, /^rateLimit\.burst/],
    [{ perSecond: 5, every: 1 }, /^rateLimit\.every: unknown field/],
    [[5], /^rateLimit: a limit is an object/],
    [5, /^rateLimit: a limit is an object/],
  ]
  for (const [value, message] of refused) {
    t.throws(() => checkedRateLimit(value), { name: 'RateLimitError', code: 'RELAY_ERR_INVALID_RATE_LIMIT', statusCode: 400, message }, JSON.stringify(value))
  }
  t.ok(new RateLimitError('x', 'y') instanceof Error)
})

t.test("the subscription's own limit wins over its action's default", async (t) => {
  const own = { perSecond: 2, burst: 1 }
  const dflt = { perSecond: 1, burst: 1 }
  t.same(effectiveRateLimit(own, dflt), { ...own, from: 'subscription' })
  t.same(effectiveRateLimit(null, dflt), { ...dflt, from: 'action' })
  t.equal(effectiveRateLimit(null, null), null)
  t.equal(describeRateLimit({ perSecond: 5, burst: 1 }), '5/s, burst 1')
  t.equal(describeRateLimit({ perSecond: 0.5, burst: 5 }), '1 every 2 s, burst 5')
})

t.test('a manifest may state its destination\'s limit; a wrong one fails the load', async (t) => {
  const base = { apiVersion: 1, name: 'x', version: '1', title: 'X', config: { type: 'object', properties: {} }, deliver: async () => ({ outcome: 'ok' }) }
  t.ok(checkManifest({ ...base, rateLimit: { perSecond: 1 } }, 'x'))
  t.throws(() => checkManifest({ ...base, rateLimit: { perSecond: 0 } }, 'x'), PluginLoadError)
  t.throws(() => checkManifest({ ...base, rateLimit: { perSecond: 1, burst: 0.5 } }, 'x'), /rateLimit\/burst/)
})

t.test('the bucket, on Redis', async (t) => {
  const redis = createRedis(TEST_REDIS_URL, 'rate-limit-test')
  const used: string[] = []
  t.teardown(async () => {
    if (used.length) await redis.del(...used)
    await redis.quit()
  })
  const bucket = () => {
    const key = `test:rate-limit:${randomUUID()}`
    used.push(key)
    return key
  }
  const take = (key: string, reserved: number, fresh: number, perSecond = 10, burst = 1) => redis.rateTake(key, perSecond, burst, reserved, fresh)

  t.test('fresh requests: the burst goes now, the rest get slots one interval apart', async (t) => {
    const key = bucket()
    const delays = await take(key, 0, 5, 10, 2)
    t.same(delays.slice(0, 2), [0, 0], 'two tokens: two go')
    t.same(delays.slice(2).map((d) => Math.round(d / 100)), [1, 2, 3], 'then one every 100 ms, in order')
    const later = await take(key, 0, 1, 10, 2)
    t.ok(later[0]! >= 350 && later[0]! <= 400, `a later request queues behind every slot given out (${later[0]} ms)`)
  })

  t.test('a holder whose slot has come takes the token before any fresh request', async (t) => {
    const key = bucket()
    t.same(await take(key, 0, 1), [0], 'the token goes')
    const [slot] = await take(key, 0, 1)
    await new Promise((r) => setTimeout(r, slot))
    const [holder, fresh] = await take(key, 1, 1)
    t.equal(holder, 0, 'the holder goes')
    t.ok(fresh! >= 90, `the fresh one waits its turn (${fresh} ms)`)
  })

  t.test('a holder back before the token is there waits for it, without a new place at the end', async (t) => {
    const key = bucket()
    await take(key, 0, 1)
    await take(key, 0, 20) // twenty slots out: the end of the line is two seconds off
    const [early] = await take(key, 1, 0)
    t.ok(early! > 0 && early! <= 100, `it waits for the next token only (${early} ms)`)
  })

  t.test('after a quiet spell the bucket is full again, and an idle bucket expires', async (t) => {
    const key = bucket()
    t.same(await take(key, 0, 3, 20, 3), [0, 0, 0])
    await new Promise((r) => setTimeout(r, 200))
    t.same(await take(key, 0, 3, 20, 3), [0, 0, 0], '200 ms at 20/s refills all three')
    const ttl = await redis.pttl(key)
    t.ok(ttl > 0 && ttl <= 60_000 + 200, `kept only while it matters (${ttl} ms)`)
  })
})
