// The depth scan that decides whether a body is treated as JSON: brackets inside strings
// (with escaped quotes and backslashes) do not count, the limit is exact, and anything
// that is not JSON stays text whatever its brackets.
import t from 'tap'
import { jsonDepth, MAX_JSON_DEPTH, parseJsonOrUndefined, parseJsonWithin } from '../src/json-depth.ts'

t.test('depth counts objects and arrays, not brackets in strings', async (t) => {
  t.equal(jsonDepth('1'), 0)
  t.equal(jsonDepth('"[[[{{{"'), 0)
  t.equal(jsonDepth('{}'), 1)
  t.equal(jsonDepth('[{"a":[1,{"b":[]}]}]'), 5)
  t.equal(jsonDepth('{"a":"\\"[[[","b":[1]}'), 2, 'an escaped quote does not end the string')
  t.equal(jsonDepth('{"a":"\\\\","b":[[1]]}'), 3, 'an escaped backslash before the closing quote ends the string')
  t.equal(jsonDepth('["\\u005b", "]]]]", [[]]]'), 3)
  t.equal(jsonDepth('[[[]]] [[[[]]]]'), 4, 'the deepest point, not the last')
  t.equal(jsonDepth(']]]][['), 0, 'unbalanced closers never make a body deeper')
})

t.test('the limit is exact', async (t) => {
  const nest = (n: number) => '['.repeat(n) + ']'.repeat(n)
  t.same(parseJsonWithin(nest(MAX_JSON_DEPTH)).ok, true)
  t.same(parseJsonWithin(nest(MAX_JSON_DEPTH + 1)), { ok: false, reason: 'too-deep' })
  t.same(parseJsonWithin(nest(3), 3).ok, true)
  t.same(parseJsonWithin(nest(4), 3), { ok: false, reason: 'too-deep' })
  t.same(parseJsonWithin(Buffer.from(nest(100_000))), { ok: false, reason: 'too-deep' })
})

t.test('not JSON stays text', async (t) => {
  t.same(parseJsonWithin('{"a":'), { ok: false, reason: 'invalid' })
  t.same(parseJsonWithin('hello [world]'), { ok: false, reason: 'invalid' })
  t.same(parseJsonWithin(''), { ok: false, reason: 'invalid' })
  t.equal(parseJsonOrUndefined('nope'), undefined)
  t.same(parseJsonOrUndefined(Buffer.from('{"a":[1,2]}')), { a: [1, 2] })
  t.equal(parseJsonOrUndefined('null'), null, 'JSON null is a value, not "not JSON"')
})
