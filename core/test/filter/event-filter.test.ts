// The filter language: each test and group, what a non-JSON body means, and that every
// mistake is refused when saved with its location.
import t from 'tap'
import { compileFilter, FILTER_LIMITS, FilterError, parsePath, storedFilter, checkedFilter } from '../../src/filter/event-filter.ts'

const event = (json: unknown, headers: Record<string, string> = {}) => ({ headers, json })
const pass = (rule: unknown, e: ReturnType<typeof event>) => compileFilter(rule)(e)

const order = event({ type: 'order.paid', order: { id: 'A-1', total: 42.5, tags: ['vip', 'eu'], customer: null }, items: [{ sku: 'x' }, { sku: 'y' }], 'a.b': 1 }, { 'x-shop-topic': 'orders/paid' })

t.test('equals: JSON values by value, headers as strings', async (t) => {
  t.ok(pass({ path: '$.type', equals: 'order.paid' }, order))
  t.ok(pass({ path: '$.order.total', equals: 42.5 }, order))
  t.notOk(pass({ path: '$.order.total', equals: '42.5' }, order), 'no coercion between types')
  t.ok(pass({ path: '$.order.customer', equals: null }, order), 'null is a value')
  t.notOk(pass({ path: '$.order.missing', equals: null }, order), 'a missing path is not null')
  t.ok(pass({ path: '$.order.tags', equals: ['vip', 'eu'] }, order), 'arrays compare deeply')
  t.ok(pass({ path: '$.items[1]', equals: { sku: 'y' } }, order), 'objects compare deeply')
  t.ok(pass({ path: '$["a.b"]', equals: 1 }, order), 'a quoted key')
  t.ok(pass({ header: 'X-Shop-Topic', equals: 'orders/paid' }, order), 'header names are case-insensitive')
  t.notOk(pass({ header: 'x-shop-topic', equals: 'orders/create' }, order))
})

t.test('in, exists, prefix', async (t) => {
  t.ok(pass({ path: '$.type', in: ['order.created', 'order.paid'] }, order))
  t.notOk(pass({ path: '$.type', in: ['order.created'] }, order))
  t.ok(pass({ path: '$.items[0]', in: [{ sku: 'x' }, 3] }, order), 'objects in a list')
  t.ok(pass({ path: '$.order.id', exists: true }, order))
  t.ok(pass({ path: '$.order.refund', exists: false }, order))
  t.ok(pass({ path: '$.items[5]', exists: false }, order), 'past the end of an array')
  t.ok(pass({ path: '$.order.id[0]', exists: false }, order), 'an index into a string is missing')
  t.ok(pass({ header: 'x-shop-topic', exists: true }, order))
  t.ok(pass({ path: '$.type', prefix: 'order.' }, order))
  t.notOk(pass({ path: '$.order.total', prefix: '4' }, order), 'prefix is for strings only')
  t.ok(pass({ header: 'x-shop-topic', prefix: 'orders/' }, order))
})

t.test('all, any, not', async (t) => {
  const rule = { all: [{ path: '$.type', prefix: 'order.' }, { any: [{ path: '$.order.total', equals: 1 }, { path: '$.order.tags[0]', equals: 'vip' }] }, { not: { path: '$.order.refund', exists: true } }] }
  t.ok(pass(rule, order))
  t.notOk(pass({ not: rule }, order))
  t.notOk(pass({ any: [{ path: '$.x', exists: true }, { header: 'x-y', exists: true }] }, order))
})

t.test('a body that is not JSON has no paths', async (t) => {
  const text = event(undefined, { 'content-type': 'text/plain' })
  t.ok(pass({ path: '$.a', exists: false }, text))
  t.ok(pass({ path: '$', exists: false }, text), 'not even the root')
  t.notOk(pass({ path: '$.a', equals: null }, text))
  t.ok(pass({ header: 'content-type', equals: 'text/plain' }, text), 'headers still apply')
  t.ok(pass({ path: '$', equals: 'hi' }, event('hi')), 'a JSON string body is a root value')
})

t.test('paths', async (t) => {
  t.same(parsePath('$.a.b[0]["c d"]["q\\"x"]', 'p'), ['a', 'b', 0, 'c d', 'q"x'])
  t.same(parsePath('$', 'p'), [])
  for (const bad of ['a.b', '$.', '$..a', '$.a[', '$[x]', '$.a b', '$[-1]']) t.throws(() => parsePath(bad, 'p'), FilterError, bad)
})

t.test('mistakes are refused with where they are', async (t) => {
  const cases: [unknown, RegExp][] = [
    ['push', /^filter: must be an object/],
    [{}, /^filter: a condition names exactly one of "header" or "path"/],
    [{ path: '$.a' }, /^filter: a condition has exactly one test of equals, in, exists, prefix/],
    [{ path: '$.a', equals: 1, prefix: 'x' }, /exactly one test/],
    [{ path: '$.a', header: 'x', equals: 1 }, /exactly one of "header" or "path"/],
    [{ path: '$.a', equals: 1, extra: true }, /^filter\.extra: unknown here \(allowed: path, equals\)/],
    [{ all: [] }, /^filter\.all: must be a non-empty list/],
    [{ all: [{ path: '$.a', exists: 'yes' }] }, /^filter\.all\[0\]\.exists: must be true or false/],
    [{ any: [{ path: '$.a', exists: true }, { path: 'a', exists: true }] }, /^filter\.any\[1\]\.path: a path starts with \$/],
    [{ not: { header: 'bad header', equals: 'x' } }, /^filter\.not\.header: not a header name/],
    [{ header: 'x', equals: 1 }, /^filter\.equals: must be a string/],
    [{ path: '$.a', in: [] }, /^filter\.in: must be a non-empty list/],
    [{ path: '$.a', prefix: 'x'.repeat(FILTER_LIMITS.stringBytes + 1) }, /at most 1024 bytes/],
    [{ path: '$.a', in: Array.from({ length: FILTER_LIMITS.inValues + 1 }, (_, i) => i) }, /at most 256 values/],
    [{ all: Array.from({ length: FILTER_LIMITS.conditions }, () => ({ path: '$.a', exists: true })) }, /at most 64 conditions/],
    [[{ not: { not: { not: { not: { not: { not: { path: '$.a', exists: true } } } } } } }][0], /nested deeper than 6 levels/],
  ]
  for (const [rule, message] of cases) t.throws(() => compileFilter(rule), { name: 'FilterError', code: 'RELAY_ERR_INVALID_FILTER', statusCode: 400, message }, JSON.stringify(rule).slice(0, 60))
})

t.test('checkedFilter: null is no filter; storedFilter compiles once per rule text', async (t) => {
  t.equal(checkedFilter(null), null)
  t.equal(checkedFilter(undefined), null)
  const rule = { path: '$.type', equals: 'order.paid' }
  t.same(checkedFilter(rule), rule)
  t.equal(storedFilter(rule), storedFilter({ ...rule }), 'the same predicate for an equal rule')
})
