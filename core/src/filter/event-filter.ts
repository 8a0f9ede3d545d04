/**
 * A subscription's event filter: a declarative rule over the event's headers and JSON
 * body, checked at fan-out before any delivery row exists (worker/fanout.ts). An event
 * the rule rejects gets no delivery for that subscription and is recorded as filtered
 * on the event (events.filtered_subscriptions), so it is visible, never silently dropped.
 *
 *   { "all": [ { "header": "x-github-event", "equals": "push" },
 *              { "path": "$.ref", "prefix": "refs/heads/" },
 *              { "not": { "path": "$.repository.fork", "equals": true } } ] }
 *
 * A condition names one of `header` (case-insensitive name) or `path` (`$`, `.key`,
 * `["any key"]`, `[0]`) and exactly one test: `equals` (a JSON value; headers compare
 * as strings), `in` (a list of them), `exists` (true or false), `prefix` (a string).
 * `all`, `any` and `not` combine them. A body that is not JSON has no paths: `exists:
 * false` holds, every other path test fails. Sizes are bounded (FILTER_LIMITS) so a
 * filter costs microseconds per event at any ingest rate.
 *
 * compileFilter checks the whole rule and names the first problem with its location
 * (`filter.all[1].path: ...`); the API answers 400 with it. The compiled predicate is
 * cached by the rule's JSON text, so the fan-out compiles each subscription's once.
 */
import { isDeepStrictEqual } from 'node:util'
import { SettingError } from '../setting-error.ts'

export const FILTER_LIMITS = { depth: 6, conditions: 64, inValues: 256, stringBytes: 1024, pathSegments: 32 } as const

export type FilterRule = Readonly<Record<string, unknown>>

/** What a filter sees of an event: header names in lower case, the parsed body or undefined. */
export interface FilterSubject {
  readonly headers: Readonly<Record<string, string>>
  readonly json: unknown
}

export type EventPredicate = (event: FilterSubject) => boolean

export class FilterError extends SettingError {
  readonly code = 'RELAY_ERR_INVALID_FILTER'
  override name = 'FilterError'
}

const TESTS = ['equals', 'in', 'exists', 'prefix'] as const
type Test = (typeof TESTS)[number]
const MISSING = Symbol('missing')
type Segment = string | number

/** `$.a.b[0]["c d"]` → ['a', 'b', 0, 'c d']. */
export function parsePath(path: string, where: string): Segment[] {
  if (!path.startsWith('$')) throw new FilterError(where, `a path starts with $ (got ${JSON.stringify(path)})`)
  const out: Segment[] = []
  let i = 1
  while (i < path.length) {
    if (path[i] === '.') {
      const m = /^[A-Za-z_$][\w$-]*/.exec(path.slice(i + 1))
      if (!m) throw new FilterError(where, `expected a key after "." at offset ${i} of ${JSON.stringify(path)} (use ["…"] for other keys)`)
      out.push(m[0])
      i += 1 + m[0].length
    } else if (path[i] === '[') {
      const index = /^\[(\d{1,9})\]/.exec(path.slice(i))
      const quoted = /^\["((?:[^"\\]|\\.)*)"\]/.exec(path.slice(i))
      if (index) {
        out.push(Number(index[1]))
        i += index[0].length
      } else if (quoted) {
        out.push(JSON.parse(`"${quoted[1]!}"`) as string)
        i += quoted[0].length
      } else throw new FilterError(where, `expected [<index>] or ["<key>"] at offset ${i} of ${JSON.stringify(path)}`)
    } else throw new FilterError(where, `unexpected ${JSON.stringify(path[i])} at offset ${i} of ${JSON.stringify(path)}`)
    if (out.length > FILTER_LIMITS.pathSegments) throw new FilterError(where, `at most ${FILTER_LIMITS.pathSegments} path segments`)
  }
  return out
}

function at(json: unknown, path: readonly Segment[]): unknown {
  let v: unknown = json
  for (const seg of path) {
    if (typeof seg === 'number') {
      if (!Array.isArray(v) || seg >= v.length) return MISSING
      v = v[seg]
    } else {
      if (typeof v !== 'object' || v === null || Array.isArray(v) || !Object.hasOwn(v, seg)) return MISSING
      v = (v as Record<string, unknown>)[seg]
    }
  }
  return v
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

function checkString(v: unknown, where: string): string {
  if (typeof v !== 'string') throw new FilterError(where, 'must be a string')
  if (Buffer.byteLength(v) > FILTER_LIMITS.stringBytes) throw new FilterError(where, `at most ${FILTER_LIMITS.stringBytes} bytes`)
  return v
}

function checkValue(v: unknown, where: string): unknown {
  const text = JSON.stringify(v)
  if (text === undefined) throw new FilterError(where, 'must be a JSON value')
  if (Buffer.byteLength(text) > FILTER_LIMITS.stringBytes) throw new FilterError(where, `at most ${FILTER_LIMITS.stringBytes} bytes of JSON`)
  return v
}

/** One test against a found value (MISSING when the path or header is absent). */
function compileTest(test: Test, arg: unknown, where: string, asString: boolean): (v: unknown) => boolean {
  const w = `${where}.${test}`
  switch (test) {
    case 'exists': {
      if (typeof arg !== 'boolean') throw new FilterError(w, 'must be true or false')
      return (v) => (v !== MISSING) === arg
    }
    case 'prefix': {
      const p = checkString(arg, w)
      return (v) => typeof v === 'string' && v.startsWith(p)
    }
    case 'equals': {
      if (asString) {
        const s = checkString(arg, w)
        return (v) => v === s
      }
      const want = checkValue(arg, w)
      return typeof want === 'object' && want !== null ? (v) => v !== MISSING && isDeepStrictEqual(v, want) : (v) => v === want
    }
    case 'in': {
      if (!Array.isArray(arg) || arg.length === 0) throw new FilterError(w, 'must be a non-empty list')
      if (arg.length > FILTER_LIMITS.inValues) throw new FilterError(w, `at most ${FILTER_LIMITS.inValues} values`)
      const values = arg.map((x, i) => (asString ? checkString(x, `${w}[${i}]`) : checkValue(x, `${w}[${i}]`)))
      const scalars = new Set(values.filter((x) => typeof x !== 'object' || x === null))
      const objects = values.filter((x) => typeof x === 'object' && x !== null)
      return (v) => v !== MISSING && (scalars.has(v) || objects.some((o) => isDeepStrictEqual(v, o)))
    }
  }
}

interface Budget {
  conditions: number
}

function compileRule(rule: unknown, where: string, depth: number, budget: Budget): EventPredicate {
  if (!isObject(rule)) throw new FilterError(where, 'must be an object: a condition ({ "path" | "header", and one test }) or { "all" | "any": [...] } or { "not": {...} }')
  if (depth > FILTER_LIMITS.depth) throw new FilterError(where, `nested deeper than ${FILTER_LIMITS.depth} levels`)
  if (++budget.conditions > FILTER_LIMITS.conditions) throw new FilterError(where, `a filter has at most ${FILTER_LIMITS.conditions} conditions and groups`)
  const keys = Object.keys(rule)
  const only = (allowed: readonly string[]) => {
    const extra = keys.find((k) => !allowed.includes(k))
    if (extra) throw new FilterError(`${where}.${extra}`, `unknown here (allowed: ${allowed.join(', ')})`)
  }
  for (const group of ['all', 'any'] as const) {
    if (group in rule) {
      only([group])
      const list = rule[group]
      if (!Array.isArray(list) || list.length === 0) throw new FilterError(`${where}.${group}`, 'must be a non-empty list of rules')
      const parts = list.map((r, i) => compileRule(r, `${where}.${group}[${i}]`, depth + 1, budget))
      return group === 'all' ? (e) => parts.every((p) => p(e)) : (e) => parts.some((p) => p(e))
    }
  }
  if ('not' in rule) {
    only(['not'])
    const inner = compileRule(rule.not, `${where}.not`, depth + 1, budget)
    return (e) => !inner(e)
  }
  const tests = TESTS.filter((t) => t in rule)
  if ('header' in rule === 'path' in rule) throw new FilterError(where, 'a condition names exactly one of "header" or "path" (or is a group: all, any, not)')
  if (tests.length !== 1) throw new FilterError(where, `a condition has exactly one test of ${TESTS.join(', ')}`)
  const test = tests[0]!
  if ('header' in rule) {
    only(['header', test])
    const name = checkString(rule.header, `${where}.header`).toLowerCase()
    if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(name)) throw new FilterError(`${where}.header`, `not a header name: ${JSON.stringify(rule.header)}`)
    const check = compileTest(test, rule[test], where, true)
    return (e) => check(Object.hasOwn(e.headers, name) ? e.headers[name] : MISSING)
  }
  only(['path', test])
  const path = parsePath(checkString(rule.path, `${where}.path`), `${where}.path`)
  const check = compileTest(test, rule[test], where, false)
  return (e) => check(e.json === undefined ? MISSING : at(e.json, path))
}

/** Checks a whole filter and returns its predicate; throws FilterError naming the first problem. */
export function compileFilter(rule: unknown, where = 'filter'): EventPredicate {
  return compileRule(rule, where, 1, { conditions: 0 })
}

/** A filter from the API or UI, checked whole: the rule to store, or null for none. */
export function checkedFilter(rule: unknown, where = 'filter'): FilterRule | null {
  if (rule === null || rule === undefined) return null
  compileFilter(rule, where)
  return rule as FilterRule
}

const compiled = new Map<string, EventPredicate>()
const CACHE_MAX = 10_000

/** compileFilter of a stored (already checked) rule, compiled once per distinct text. */
export function storedFilter(rule: FilterRule): EventPredicate {
  const key = JSON.stringify(rule)
  let p = compiled.get(key)
  if (!p) {
    if (compiled.size >= CACHE_MAX) compiled.clear()
    p = compileFilter(rule)
    compiled.set(key, p)
  }
  return p
}
