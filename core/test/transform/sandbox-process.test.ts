import t, { type Test } from 'tap'
import { createTransformRunner, eventViewFromPayload } from '../../src/transform/index.ts'
import type { TransformRunner } from '../../src/transform/index.ts'

const event = eventViewFromPayload({ body: { n: 1 } })
const ECHO = 'function transform(e) { return e.body }'
const SPIN = 'function transform() { for (;;) {} }'

async function waitFor(check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

function newRunner(t: Test, opts: Parameters<typeof createTransformRunner>[0] = {}): TransformRunner {
  // A roomy time budget unless a test asks otherwise: busy CI machines must not cause timeouts.
  const runner = createTransformRunner({ timeoutMs: 1000, ...opts })
  t.teardown(() => runner.close())
  return runner
}

t.test('isolates run in a separate process, started on first use', async (t) => {
  const runner = newRunner(t)
  t.equal(runner.stats().pid, null)
  t.equal((await runner.run(ECHO, event)).kind, 'payload')
  const { pid } = runner.stats()
  t.type(pid, 'number')
  t.not(pid, process.pid)
})

t.test('a memory bomb is contained: same host, same sandbox process, next run works', async (t) => {
  const runner = newRunner(t, { timeoutMs: 10_000 })
  await runner.run(ECHO, event)
  const pid = runner.stats().pid
  const bomb = await runner.run('function transform() { let a = []; for (;;) a.push(new Array(1e5).fill(1.5)) }', event)
  t.equal(bomb.kind, 'error')
  if (bomb.kind === 'error') t.equal(bomb.error.kind, 'memory')
  t.equal((await runner.run(ECHO, event)).kind, 'payload')
  t.equal(runner.stats().pid, pid, 'isolated-vm disposed the isolate; the process lived on')
})

for (const signal of ['SIGKILL', 'SIGABRT', 'SIGSEGV'] as const) {
  t.test(`a sandbox process that dies (${signal}) fails its runs as memory errors and is replaced`, async (t) => {
    const runner = newRunner(t, { timeoutMs: 30_000 })
    await runner.run(ECHO, event)
    const pid = runner.stats().pid as number
    const spinning = runner.run(SPIN, event)
    const queued = Array.from({ length: 20 }, () => runner.run(ECHO, event))
    await waitFor(() => runner.stats().inFlight === 21)
    process.kill(pid, signal)
    const crashed = await spinning
    t.equal(crashed.kind, 'error')
    if (crashed.kind === 'error') {
      t.equal(crashed.error.kind, 'memory')
      t.match(crashed.error.message, /sandbox process died/)
    }
    // Every in-flight run settles: none is left hanging.
    const settled = await Promise.all(queued)
    t.equal(settled.length, 20)
    const next = await runner.run(ECHO, event)
    t.equal(next.kind, 'payload', 'the next run succeeds on a new process')
    const stats = runner.stats()
    t.equal(stats.restarts, 1)
    t.not(stats.pid, pid)
    t.equal(stats.inFlight, 0)
  })
}

t.test('a sandbox process that stops answering is killed and replaced', async (t) => {
  // The default budget keeps the stall detection at its 10 s floor.
  const runner = newRunner(t, { timeoutMs: 50 })
  await runner.run(ECHO, event)
  const pid = runner.stats().pid as number
  const pending = runner.run(ECHO, event)
  process.kill(pid, 'SIGSTOP')
  const out = await pending
  t.equal(out.kind, 'error')
  if (out.kind === 'error') {
    t.equal(out.error.kind, 'timeout')
    t.match(out.error.message, /stopped answering/)
  }
  t.equal((await runner.run(ECHO, event)).kind, 'payload')
  t.not(runner.stats().pid, pid)
  t.notOk(processAlive(pid), 'the stuck process is gone')
})

t.test('a compiled script is reused across runs (its context persists in the isolate)', async (t) => {
  const runner = newRunner(t, { poolSize: 1 })
  const code = 'let loads = 0\nloads++\nlet runs = 0\nfunction transform() { runs++; return { loads, runs } }'
  const bodies = []
  for (let i = 0; i < 3; i++) {
    const out = await runner.run(code, event)
    if (out.kind === 'payload') bodies.push(JSON.parse(out.payload.body.toString()))
  }
  t.same(bodies, [{ loads: 1, runs: 1 }, { loads: 1, runs: 2 }, { loads: 1, runs: 3 }])
})

t.test('many concurrent runs over a small pool all complete', async (t) => {
  const runner = newRunner(t, { poolSize: 2 })
  const scripts = Array.from({ length: 5 }, (_, i) => `function transform(e) { return { script: ${i}, n: e.body.n } }`)
  const outs = await Promise.all(Array.from({ length: 2000 }, (_, i) => runner.run(scripts[i % 5] as string, event)))
  t.equal(outs.filter((o) => o.kind === 'payload').length, 2000)
  t.same(outs.slice(0, 5).map((o) => (o.kind === 'payload' ? JSON.parse(o.payload.body.toString()).script : null)), [0, 1, 2, 3, 4])
})

t.test('close stops the sandbox process; later runs fail without throwing', async (t) => {
  const runner = createTransformRunner()
  await runner.run(ECHO, event)
  const pid = runner.stats().pid as number
  await runner.close()
  t.notOk(processAlive(pid))
  const after = await runner.run(ECHO, event)
  t.equal(after.kind, 'error')
  t.equal(runner.stats().pid, null)
})

t.test('bad options fail at construction with a clear message', async (t) => {
  t.throws(() => createTransformRunner({ memoryLimitMb: 4 }), /at least 8/)
  t.throws(() => createTransformRunner({ timeoutMs: 0 }), /timeoutMs must be a positive integer/)
})
