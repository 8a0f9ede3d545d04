import t from 'tap'
import { createTransformRunner, eventViewFromPayload } from '../../src/transform/index.ts'

// Runs of one script requested together go into the isolate as one call: these tests
// check that a bad event in such a batch fails alone and every other run gets its own result.
const SCRIPT = `function transform(e) {
  if (e.body.mode === 'loop') for (;;) {}
  if (e.body.mode === 'bomb') { const a = []; for (;;) a.push(new Array(1e5).fill(1.5)) }
  if (e.body.mode === 'throw') throw new Error('bad event ' + e.body.i)
  return { i: e.body.i }
}`

function events(count: number, bad: Record<number, string>) {
  return Array.from({ length: count }, (_, i) => eventViewFromPayload({ body: { i, mode: bad[i] ?? 'ok' } }))
}

t.test('one looping event in a batch times out alone; the others keep their own results', async (t) => {
  // Long enough that only the looping event can time out on a busy machine.
  const runner = createTransformRunner({ poolSize: 1, timeoutMs: 300 })
  t.teardown(() => runner.close())
  const outs = await Promise.all(events(200, { 50: 'loop', 120: 'throw' }).map((e) => runner.run(SCRIPT, e)))
  outs.forEach((out, i) => {
    if (i === 50) t.equal(out.kind === 'error' && out.error.kind, 'timeout', 'the looping event')
    else if (i === 120) t.equal(out.kind === 'error' && out.error.message, 'Error: bad event 120', 'the throwing event')
    else if (out.kind !== 'payload' || out.payload.body.toString() !== `{"i":${i}}`) t.fail(`run ${i}: ${JSON.stringify(out)}`)
  })
  t.pass('every other run got its own payload')
})

t.test('a memory bomb in a batch fails alone; the others succeed', async (t) => {
  const runner = createTransformRunner({ poolSize: 1, timeoutMs: 10_000 })
  t.teardown(() => runner.close())
  const outs = await Promise.all(events(100, { 30: 'bomb' }).map((e) => runner.run(SCRIPT, e)))
  t.equal(outs[30]?.kind === 'error' && outs[30].error.kind, 'memory')
  t.equal(outs.filter((o) => o.kind === 'payload').length, 99)
  outs.forEach((out, i) => {
    if (out.kind === 'payload' && out.payload.body.toString() !== `{"i":${i}}`) t.fail(`run ${i} got another run's result`)
  })
})

t.test('runs of different scripts interleaved all get their own script\'s result', async (t) => {
  const runner = createTransformRunner({ poolSize: 2, timeoutMs: 1000 })
  t.teardown(() => runner.close())
  const scripts = Array.from({ length: 20 }, (_, s) => `function transform(e) { return [${s}, e.body.i] }`)
  const outs = await Promise.all(Array.from({ length: 1000 }, (_, i) =>
    runner.run(scripts[i % 20] as string, eventViewFromPayload({ body: { i } }))))
  outs.forEach((out, i) => {
    if (out.kind !== 'payload' || out.payload.body.toString() !== `[${i % 20},${i}]`) t.fail(`run ${i}: ${JSON.stringify(out)}`)
  })
  t.pass('no result crossed over')
})
