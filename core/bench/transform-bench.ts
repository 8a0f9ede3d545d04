/**
 * Transform throughput: a trivial transform through the runner (isolates in the
 * sandbox process, batched IPC), through the isolate pool in this process (no IPC),
 * and a bare isolated-vm call as the floor.
 *
 *   node core/bench/transform-bench.ts [runs]
 *
 * Runs/s is wall-clock; runs per CPU-second adds up the CPU time of this process and of
 * the sandbox process, so it reads as "runs on one core" on a busy machine too.
 */
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import ivm from 'isolated-vm'
import { createIsolatePool } from '../src/transform/isolate-pool.ts'
import { encodeSandboxEvent } from '../src/transform/sandbox-event.ts'
import { createTransformRunner, eventViewFromPayload } from '../src/transform/index.ts'

const RUNS = Number(process.argv[2] ?? 100_000)
const WINDOW = 1024
const SEQUENTIAL_RUNS = 2000
const CLOCK_TICKS_PER_SECOND = 100
const SCRIPT = 'function transform(event) { return { text: event.body.action + " #" + event.body.number } }'

// isolated-vm needs --no-node-snapshot on Node 20+ in any process that creates isolates.
if (!process.execArgv.includes('--no-node-snapshot')) {
  const child = spawnSync(process.execPath, ['--no-node-snapshot', ...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit' })
  process.exit(child.status ?? 1)
}

const event = eventViewFromPayload({ body: { action: 'opened', number: 42, sender: { login: 'octocat' } }, source: 'github' })

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN
}
function childCpuMs(pid: number | null): number {
  if (pid === null) return 0
  // Fields 14 and 15 of /proc/<pid>/stat: user and system time in clock ticks.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND
}
function hostCpuMs(): number {
  const { user, system } = process.cpuUsage()
  return (user + system) / 1000
}
function report(name: string, runs: number, wallMs: number, cpuMs: number, latencies?: number[]): void {
  const line = [`${name.padEnd(44)} ${Math.round((runs / wallMs) * 1000).toLocaleString('en').padStart(9)} runs/s`]
  if (cpuMs > 0) line.push(`${Math.round((runs / cpuMs) * 1000).toLocaleString('en').padStart(9)} runs/CPU-s`)
  if (latencies !== undefined) {
    latencies.sort((a, b) => a - b)
    line.push(`p50 ${percentile(latencies, 0.5).toFixed(3)} ms  p99 ${percentile(latencies, 0.99).toFixed(3)} ms`)
  }
  console.log(line.join('  '))
}

async function bareIsolatedVm(): Promise<void> {
  const isolate = new ivm.Isolate({ memoryLimit: 32 })
  const context = isolate.createContextSync()
  const fn = context.evalSync(
    `(function (s) { const e = JSON.parse(s); return JSON.stringify({ text: e.body.action + " #" + e.body.number }) })`,
    { reference: true },
  ) as ivm.Reference<(s: string) => string>
  const input = encodeSandboxEvent(event)
  for (const [name, options] of [['bare isolated-vm applySync', {}], ['bare isolated-vm applySync, 50 ms timeout', { timeout: 50 }]] as const) {
    let timeouts = 0
    const call = (): void => {
      try {
        fn.applySync(undefined, [input], options)
      } catch {
        // On a loaded machine a 50 ms wall-clock timeout can fire on a trivial call.
        timeouts++
      }
    }
    for (let i = 0; i < 1000; i++) call()
    const cpu = hostCpuMs()
    const started = performance.now()
    for (let i = 0; i < RUNS; i++) call()
    report(name, RUNS, performance.now() - started, hostCpuMs() - cpu)
    if (timeouts > 0) console.log(`  ${timeouts} calls timed out`)
  }
  isolate.dispose()
}

async function inProcessPool(): Promise<void> {
  const pool = createIsolatePool({ poolSize: 1, memoryLimitMb: 32, timeoutMs: 50, maxOutputChars: 1 << 20 }, () => {})
  const input = encodeSandboxEvent(event)
  await pool.run('h', SCRIPT, input)
  const cpu = hostCpuMs()
  const started = performance.now()
  for (let done = 0; done < RUNS; done += WINDOW) {
    await Promise.all(Array.from({ length: Math.min(WINDOW, RUNS - done) }, () => pool.run('h', SCRIPT, input)))
  }
  report('isolate pool in-process (1 isolate, no IPC)', RUNS, performance.now() - started, hostCpuMs() - cpu)
}

async function runner(poolSize: number): Promise<void> {
  const transforms = createTransformRunner({ poolSize })
  for (let i = 0; i < 5; i++) await Promise.all(Array.from({ length: 500 }, () => transforms.run(SCRIPT, event)))
  const pid = transforms.stats().pid

  const sequential: number[] = []
  for (let i = 0; i < SEQUENTIAL_RUNS; i++) {
    const started = performance.now()
    await transforms.run(SCRIPT, event)
    sequential.push(performance.now() - started)
  }
  report(`runner, one run at a time (pool ${poolSize})`, SEQUENTIAL_RUNS, sequential.reduce((a, b) => a + b, 0), 0, sequential)

  const latencies: number[] = []
  let failures = 0
  const hostCpu = hostCpuMs()
  const sandboxCpu = childCpuMs(pid)
  const started = performance.now()
  // A sliding window: a new run starts as soon as one finishes, as in a busy worker.
  let launched = 0
  await new Promise<void>((resolve) => {
    let finished = 0
    const next = (): void => {
      const t0 = performance.now()
      launched++
      void transforms.run(SCRIPT, event).then((out) => {
        latencies.push(performance.now() - t0)
        if (out.kind !== 'payload') failures++
        if (++finished === RUNS) resolve()
        else if (launched < RUNS) next()
      })
    }
    for (let i = 0; i < Math.min(WINDOW, RUNS); i++) next()
  })
  const wall = performance.now() - started
  const host = hostCpuMs() - hostCpu
  const sandbox = childCpuMs(pid) - sandboxCpu
  report(`runner, ${WINDOW} in flight (pool ${poolSize})`, RUNS, wall, host + sandbox, latencies)
  console.log(`  CPU per run: host ${((host * 1000) / RUNS).toFixed(1)} µs, sandbox process ${((sandbox * 1000) / RUNS).toFixed(1)} µs`)
  if (failures > 0) console.log(`  ${failures} runs failed`)
  await transforms.close()
}

console.log(`transform bench: ${RUNS.toLocaleString('en')} runs, Node ${process.version}, load average ${(await import('node:os')).loadavg().map((l) => l.toFixed(1)).join(' ')}`)
await bareIsolatedVm()
await inProcessPool()
await runner(1)
await runner(2)
