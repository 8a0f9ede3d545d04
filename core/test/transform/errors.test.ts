import t from 'tap'
import { createTransformRunner, eventViewFromPayload } from '../../src/transform/index.ts'
import type { TransformError, TransformOutcome } from '../../src/transform/index.ts'

// A generous timeout so the memory bombs reach the heap limit before the clock runs out
// on a busy machine; the timeout test uses its own runner with the 50 ms default.
const runner = createTransformRunner({ timeoutMs: 10_000, maxOutputBytes: 64 * 1024 })
const fast = createTransformRunner()
t.teardown(async () => {
  await runner.close()
  await fast.close()
})
const event = eventViewFromPayload({ body: { n: 1 } })

function errorOf(outcome: TransformOutcome): TransformError {
  if (outcome.kind !== 'error') throw new Error(`expected an error, got ${outcome.kind}`)
  return outcome.error
}

t.test('a syntax error is a compile error with its line and column', async (t) => {
  const error = errorOf(await runner.run('// header\n\nfunction transform(e) {\n  return { a: 1,, }\n}', event))
  t.equal(error.kind, 'compile')
  t.match(error.message, /^SyntaxError: /)
  t.equal(error.line, 4)
  t.type(error.column, 'number')
})

t.test('a script without a transform function is a compile error', async (t) => {
  const error = errorOf(await runner.run('function transfrom(e) { return e }', event))
  t.equal(error.kind, 'compile')
  t.match(error.message, /must define function transform/)
})

t.test('a throw is a runtime error with the line it came from', async (t) => {
  const error = errorOf(await runner.run('function transform(e) {\n  const x = e.body.n\n  throw new Error("bad " + x)\n}', event))
  t.same(error, { kind: 'runtime', message: 'Error: bad 1', line: 3, column: 9 })
  const typeError = errorOf(await runner.run('function transform(e) {\n\n  return e.body.missing.deeper\n}', event))
  t.equal(typeError.kind, 'runtime')
  t.match(typeError.message, /^TypeError: /)
  t.equal(typeError.line, 3)
  const thrownString = errorOf(await runner.run('function transform() { throw "plain string" }', event))
  t.equal(thrownString.message, 'uncaught plain string')
})

t.test('an error in top-level code is a runtime error with its line', async (t) => {
  const error = errorOf(await runner.run('const table = {}\ntable.x.y = 1\nfunction transform(e) { return e }', event))
  t.equal(error.kind, 'runtime')
  t.equal(error.line, 2)
})

t.test('an infinite loop times out after the run budget, and the runner keeps working', async (t) => {
  const started = performance.now()
  const error = errorOf(await fast.run('function transform(e) {\n  for (;;) {}\n}', event))
  t.equal(error.kind, 'timeout')
  t.match(error.message, /longer than 50 ms/)
  t.equal(error.line, 2, 'the timeout points at the loop')
  t.ok(performance.now() - started < 5000)
  const next = await fast.run('function transform(e) { return e.body }', event)
  t.equal(next.kind, 'payload')
})

t.test('an infinite loop in top-level code times out too', async (t) => {
  t.equal(errorOf(await fast.run('while (true) {}\nfunction transform(e) { return e }', event)).kind, 'timeout')
})

t.test('a heap memory bomb is a memory error, and the next run succeeds', async (t) => {
  const error = errorOf(await runner.run('function transform() { const a = []; for (;;) a.push({ i: a.length, s: "x" + a.length }) }', event))
  t.equal(error.kind, 'memory')
  t.match(error.message, /32 MB memory limit/)
  const next = await runner.run('function transform(e) { return e.body }', event)
  t.equal(next.kind, 'payload')
})

t.test('an ArrayBuffer memory bomb is a memory error', async (t) => {
  const error = errorOf(await runner.run('function transform() { const a = []; for (;;) a.push(new Float64Array(1e6)) }', event))
  t.equal(error.kind, 'memory')
})

t.test('an output over maxOutputBytes is an output error', async (t) => {
  const error = errorOf(await runner.run('function transform() { return "x".repeat(100 * 1024) }', event))
  t.equal(error.kind, 'output')
  t.match(error.message, /over the 65536-byte limit/)
  // Multi-byte text under the character cap but over the byte cap is caught on the host.
  const wide = errorOf(await runner.run('function transform() { return "€".repeat(30 * 1024) }', event))
  t.equal(wide.kind, 'output')
  t.match(wide.message, /92160 bytes/)
  const ok = await runner.run('function transform() { return "x".repeat(60 * 1024) }', event)
  t.equal(ok.kind, 'payload')
})

t.test('an output that is not JSON-encodable is an output error', async (t) => {
  const circular = errorOf(await runner.run('function transform() { const a = {}; a.self = a; return a }', event))
  t.equal(circular.kind, 'output')
  t.match(circular.message, /cannot be encoded as JSON/)
  const bigint = errorOf(await runner.run('function transform() { return { n: 1n } }', event))
  t.equal(bigint.kind, 'output')
  const fn = errorOf(await runner.run('function transform() { return () => 1 }', event))
  t.equal(fn.kind, 'output')
})

t.test('a script over the size limit is refused before compiling', async (t) => {
  const huge = `function transform(e) { return e }\n//${'x'.repeat(300 * 1024)}`
  t.equal(errorOf(await runner.run(huge, event)).kind, 'compile')
})
