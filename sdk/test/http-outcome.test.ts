import t from 'tap'
import { classifyHttpError, classifyHttpResponse, parseRetryAfter } from '../src/http-outcome.ts'
import type { Exchange } from '../src/contract.ts'
import { EGRESS_REFUSED } from '../src/egress-codes.ts'

const exchange: Exchange = { request: { url: 'https://example.com/hook', method: 'POST', headers: {}, body: null } }
const res = (status: number, headers: Record<string, string> = {}) => ({ status, headers, body: Buffer.alloc(0) })
const NOW = Date.parse('2026-01-01T00:00:00Z')

t.test('2xx is delivered and keeps the exchange', async (t) => {
  for (const status of [200, 201, 202, 204, 299]) t.same(classifyHttpResponse(res(status), exchange), { outcome: 'ok', exchange })
})

t.test('410 fails and disables the subscription', async (t) => {
  t.same(classifyHttpResponse(res(410), exchange), { outcome: 'fail', reason: 'HTTP 410 Gone', disableSubscription: true, exchange })
})

t.test('408, 409, 425, 429 and 5xx retry', async (t) => {
  for (const status of [408, 409, 425, 429, 500, 502, 503, 504, 599]) {
    const r = classifyHttpResponse(res(status), exchange)
    t.equal(r.outcome, 'retry', String(status))
  }
  t.match(classifyHttpResponse(res(503), exchange), { reason: 'HTTP 503 Service Unavailable' })
})

t.test('Retry-After becomes afterMs, in both forms and any header case', async (t) => {
  t.match(classifyHttpResponse(res(429, { 'retry-after': '120' }), exchange, NOW), { outcome: 'retry', afterMs: 120_000 })
  t.match(classifyHttpResponse(res(503, { 'Retry-After': 'Thu, 01 Jan 2026 00:00:30 GMT' }), exchange, NOW), { afterMs: 30_000 })
  t.notOk('afterMs' in classifyHttpResponse(res(503), exchange, NOW), 'absent when the receiver did not ask')
})

t.test('parseRetryAfter', async (t) => {
  t.equal(parseRetryAfter('0', NOW), 0)
  t.equal(parseRetryAfter(' 5 ', NOW), 5000)
  t.equal(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', NOW), 0, 'a date in the past means now')
  t.equal(parseRetryAfter('soon', NOW), undefined)
  t.equal(parseRetryAfter('-5', NOW), undefined)
  t.equal(parseRetryAfter('Sunday, 01-Jan-26 00:01:00 GMT', NOW), 60_000, 'RFC 850 form')
  t.equal(parseRetryAfter('Thu Jan  1 00:00:10 2026', NOW), 10_000, 'asctime form, GMT whatever the local zone')
  t.equal(parseRetryAfter(undefined, NOW), undefined)
})

t.test('other 4xx and 3xx fail permanently with the status line', async (t) => {
  t.same(classifyHttpResponse(res(404), exchange), { outcome: 'fail', reason: 'HTTP 404 Not Found', exchange })
  for (const status of [400, 401, 403, 413, 422, 301, 302, 307]) t.equal(classifyHttpResponse(res(status), exchange).outcome, 'fail', String(status))
})

t.test('thrown errors: egress refusal fails, network trouble retries', async (t) => {
  // As the relay's egress client throws it (core/src/egress/errors.ts).
  const refused = Object.assign(new Error('outgoing request refused: 10.0.0.1 (evil.example resolves to it) is a private address'), { code: EGRESS_REFUSED })
  t.match(classifyHttpError(refused, exchange), {
    outcome: 'fail',
    reason: /10\.0\.0\.1 \(evil\.example resolves to it\)/,
  })
  t.match(classifyHttpError(Object.assign(new Error('bad url'), { code: 'RELAY_ERR_EGRESS_INVALID_URL' }), exchange), { outcome: 'fail' })
  const transient = [
    Object.assign(new Error('connect ECONNREFUSED 1.2.3.4:443'), { code: 'ECONNREFUSED' }),
    Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }),
    Object.assign(new Error('no complete response within 15000 ms'), { code: 'RELAY_ERR_EGRESS_TIMEOUT' }),
    new DOMException('The operation was aborted', 'AbortError'),
  ]
  for (const err of transient) t.match(classifyHttpError(err, exchange), { outcome: 'retry', exchange }, err.message)
  t.match(classifyHttpError(Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }), exchange), {
    reason: 'UND_ERR_SOCKET: other side closed',
  })
  t.match(classifyHttpError(Object.assign(new Error('getaddrinfo ENOTFOUND x'), { code: 'ENOTFOUND' }), exchange), {
    reason: 'getaddrinfo ENOTFOUND x',
  }, 'the code is not repeated when the message already names it')
})
