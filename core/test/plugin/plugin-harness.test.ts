import t from 'tap'
import Type from 'typebox'
import { defineAction, ok, retry, type DeliveryResult } from '../../src/plugin/contract.ts'
import { runAction, startTestReceiver } from '../../src/testing/index.ts'

/** A minimal plugin that POSTs the payload to config.url, enough to exercise the harness. */
const poster = defineAction({
  apiVersion: 1,
  name: 'poster',
  version: '0.0.1',
  title: 'Poster',
  config: Type.Object({ url: Type.String() }, { additionalProperties: false }),
  async deliver({ payload, config }, ctx): Promise<DeliveryResult> {
    const res = await ctx.http.request({ url: config.url, method: 'POST', headers: ctx.traceHeaders(), body: payload.body })
    return res.status < 300 ? ok() : retry(`HTTP ${res.status}`)
  },
})

t.test('the receiver records the raw request and answers from its queue', async (t) => {
  const receiver = await startTestReceiver()
  receiver.expect({ status: 202 })
  const body = Buffer.from([0x00, 0xff, 0x7b])
  const result = await runAction(poster, { config: { url: `${receiver.url}/in?x=1` }, payload: { body } })
  t.same(result, { outcome: 'ok', exchange: undefined })
  t.equal(receiver.requests.length, 1)
  const [req] = receiver.requests
  t.equal(req?.method, 'POST')
  t.equal(req?.url, '/in?x=1')
  t.same(req?.body, body)
  t.match(req?.headers.traceparent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/)
  await receiver.close()
})

t.test('a request the test did not expect fails at close', async (t) => {
  const receiver = await startTestReceiver()
  const result = await runAction(poster, { config: { url: receiver.url } })
  t.match(result, { outcome: 'retry', reason: 'HTTP 500' })
  t.throws(() => receiver.assertNoUnexpected(), /1 unexpected request\(s\): POST \//)
  await t.rejects(receiver.close(), /unexpected request/)
})

t.test('an expected request that never arrives fails at close', async (t) => {
  const receiver = await startTestReceiver()
  receiver.expect({ status: 200 })
  await t.rejects(receiver.close(), /1 expected request\(s\) never arrived/)
})

t.test('a default handler answers when the queue is empty', async (t) => {
  const receiver = await startTestReceiver((req) => ({ status: 200, body: { echoed: req.body.length } }))
  t.teardown(() => receiver.close())
  t.match(await runAction(poster, { config: { url: receiver.url } }), { outcome: 'ok' })
})

t.test('config is validated against the manifest schema', async (t) => {
  await t.rejects(runAction(poster, { config: { url: 'x', extra: true } }), /config rejected by poster's schema: .*additional properties/)
  await t.rejects(runAction(poster, { config: {} }), /config rejected by poster's schema/)
})

t.test('an unsupported apiVersion is refused, like at boot', async (t) => {
  await t.rejects(runAction({ ...poster, apiVersion: 99 }, { config: { url: 'http://127.0.0.1/' } }), /apiVersion 99/)
})

t.test('the egress guard is real: only the allowed CIDRs are reachable', async (t) => {
  const receiver = await startTestReceiver()
  t.teardown(() => receiver.close())
  await t.rejects(runAction(poster, { config: { url: receiver.url }, allowCidrs: [] }), { code: 'RELAY_ERR_EGRESS_REFUSED' })
})
