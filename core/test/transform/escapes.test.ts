import t from 'tap'
import { createTransformRunner, eventViewFromPayload } from '../../src/transform/index.ts'
import type { TransformOutcome } from '../../src/transform/index.ts'

// One isolate, so a script's later runs share its context (needed for the import() check),
// and a roomy time budget, as a busy CI machine must not turn these into timeouts.
const runner = createTransformRunner({ poolSize: 1, timeoutMs: 1000 })
t.teardown(() => runner.close())
const event = eventViewFromPayload({ body: { n: 1 } })

function bodyOf(outcome: TransformOutcome): unknown {
  if (outcome.kind !== 'payload') throw new Error(`expected a payload, got ${JSON.stringify(outcome)}`)
  return JSON.parse(outcome.payload.body.toString())
}

t.test('constructor chains reach only the isolate\'s own Function, which has no process', async (t) => {
  const chains = [
    'this.constructor.constructor("return process")()',
    '({}).constructor.constructor("return process")()',
    'transform.constructor("return process")()',
    'Function("return process")()',
    'new Function("return require")()',
    'eval("process")',
    '(() => {}).constructor("return globalThis.process")().env',
    'e.constructor.constructor("return process")()',
    'console.log.constructor("return process")()',
    'relay.payload.constructor("return require")()("fs")',
    '(function () { try { null.x } catch (err) { return err.constructor.constructor("return process")() } })()',
  ]
  for (const chain of chains) {
    const out = await runner.run(`function transform(e) { return { reached: String(${chain}) } }`, event)
    t.equal(out.kind, 'error', chain)
    if (out.kind === 'error') {
      t.equal(out.error.kind, 'runtime', chain)
      t.match(out.error.message, /ReferenceError: (process|require) is not defined|TypeError: Cannot read properties of undefined/, chain)
    }
  }
})

t.test('no Node or host globals exist in the sandbox', async (t) => {
  const names = ['require', 'process', 'module', 'exports', 'Buffer', 'setTimeout', 'setInterval', 'setImmediate',
    'queueMicrotask', 'fetch', 'XMLHttpRequest', 'WebSocket', 'performance', 'global', 'ivm', '_ivm']
  const out = await runner.run(`function transform() { return { ${names.map((n) => `${n}: typeof ${n}`).join(', ')} } }`, event)
  t.same(bodyOf(out), Object.fromEntries(names.map((n) => [n, 'undefined'])))
})

t.test('the caller chain ends inside the sandbox', async (t) => {
  const out = await runner.run(`function transform() {
    let f = transform, depth = 0
    try { while (f && depth < 10) { f = f.caller; depth++ } } catch (err) { return { stopped: err.name } }
    return { depth, last: typeof f }
  }`, event)
  const body = bodyOf(out) as Record<string, unknown>
  t.not(body.last, 'function', 'no function above the sandbox wrapper is reachable')
})

t.test('dynamic import() and require() are not available', async (t) => {
  const code = `let state = 'not tried'
  function transform() {
    if (state === 'not tried') {
      state = 'pending'
      try { import('node:fs').then(() => { state = 'loaded' }, (err) => { state = 'rejected' }) } catch (err) { state = 'threw' }
    }
    return state
  }`
  await runner.run(code, event)
  const later = await runner.run(code, event)
  t.equal(later.kind === 'payload' && later.payload.body.toString(), 'rejected', 'the import was refused')
  const req = await runner.run('function transform() { return require("fs").readFileSync("/etc/passwd", "utf8") }', event)
  t.equal(req.kind, 'error')
})

t.test('prototype pollution inside the sandbox does not reach host objects', async (t) => {
  const before = {
    object: Object.getOwnPropertyNames(Object.prototype).sort(),
    array: Object.getOwnPropertyNames(Array.prototype).sort(),
    func: Object.getOwnPropertyNames(Function.prototype).sort(),
  }
  const out = await runner.run(`function transform(e) {
    Object.prototype.polluted = 'yes'
    Object.prototype.toString = () => 'owned'
    Array.prototype.push = () => { throw new Error('owned') }
    Function.prototype.call = () => 'owned'
    e.__proto__.viaEvent = 'yes'
    JSON.parse = () => ({ owned: true })
    return relay.payload(JSON.parse('{"__proto__": {"polluted": "yes"}}'), {
      headers: JSON.parse('{"__proto__": {"x-polluted": "yes"}}'),
    })
  }`, event)
  // The options' "__proto__" arrives as a plain own key on the host, and is refused.
  t.equal(out.kind, 'error')
  const host: Record<string, unknown> = {}
  t.equal(host.polluted, undefined)
  t.equal(host.viaEvent, undefined)
  t.equal(Object.prototype.toString.call([]), '[object Array]')
  t.same({
    object: Object.getOwnPropertyNames(Object.prototype).sort(),
    array: Object.getOwnPropertyNames(Array.prototype).sort(),
    func: Object.getOwnPropertyNames(Function.prototype).sort(),
  }, before)
  const arr: number[] = []
  arr.push(1)
  t.same(arr, [1])
})

t.test('a returned "__proto__" key is data in the body, not a prototype on the host', async (t) => {
  const out = await runner.run('function transform() { return JSON.parse(\'{"__proto__": {"polluted": "yes"}, "a": 1}\') }', event)
  t.equal(out.kind, 'payload')
  if (out.kind === 'payload') t.match(out.payload.body.toString(), /"__proto__":\{"polluted":"yes"\}/)
  t.equal(({} as Record<string, unknown>).polluted, undefined)
})

t.test('one script cannot see or change another script\'s globals', async (t) => {
  const writer = `function transform() {
    globalThis.secret = 'from writer'
    Object.prototype.tainted = true
    Array.prototype.map = () => 'tainted'
    return null
  }`
  t.equal((await runner.run(writer, event)).kind, 'skip')
  const reader = `function transform() {
    return { secret: typeof secret, tainted: ({}).tainted === true, map: [1, 2].map((x) => x * 2) }
  }`
  t.same(bodyOf(await runner.run(reader, event)), { secret: 'undefined', tainted: false, map: [2, 4] })
})

t.test('a script that replaces JSON and WeakSet built-ins only fools itself', async (t) => {
  const out = await runner.run(`
    JSON.stringify = () => '"forged"'
    WeakSet.prototype.has = () => true
    function transform() { return { body: 'not an envelope', headers: { 'x-a': '1' } } }`, event)
  t.same(bodyOf(out), { body: 'not an envelope', headers: { 'x-a': '1' } })
  if (out.kind === 'payload') t.same(out.payload.headers, {})
})

t.test('blocking with Atomics.wait is stopped by the timeout', async (t) => {
  const out = await runner.run('function transform() { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0); return 1 }', event)
  t.equal(out.kind, 'error')
  if (out.kind === 'error') t.equal(out.error.kind, 'timeout')
})
