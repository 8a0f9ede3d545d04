/**
 * The transform runner: runs user scripts in a pool of isolates that lives in a
 * separate sandbox process (sandbox-process.ts), restarted when it dies.
 *
 * Why a process: a V8 out-of-memory inside an isolate can abort the process that
 * hosts it (isolated-vm says so in its README). The worker must survive any script,
 * so the isolates live in a child that holds nothing else. When it dies, the runs it
 * was working on fail as 'memory' errors and the next runs go to a fresh process.
 *
 * Why batches: a round trip over IPC costs more than the isolate call, so runs
 * requested in the same tick travel in one message, and results come back the same
 * way. Scripts travel once per process: afterwards a run carries only its hash.
 */
import { fork } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import type { EventView } from '../plugin/contract.ts'
import type { HostMessage, RunRequest, SandboxConfig, SandboxMessage } from './protocol.ts'
import { encodeSandboxEvent } from './sandbox-event.ts'
import { toOutcome } from './to-outcome.ts'
import {
  DEFAULT_MAX_OUTPUT_BYTES,
  DEFAULT_MEMORY_LIMIT_MB,
  DEFAULT_POOL_SIZE,
  DEFAULT_TIMEOUT_MS,
  MAX_SCRIPT_BYTES,
  MIN_MEMORY_LIMIT_MB,
} from './types.ts'
import type { TransformError, TransformOutcome, TransformRunner, TransformRunnerOptions } from './types.ts'
import { siblingModule } from '../util/sibling-module.ts'

const SANDBOX_ENTRY = siblingModule('./sandbox-process', import.meta.url)
/** isolated-vm requires this flag on Node 20+; only the sandbox process loads it. */
const SANDBOX_EXEC_ARGV = ['--no-node-snapshot']
const MAX_RUNS_PER_MESSAGE = 512
/** Hashes remembered per script text, so a script is not re-hashed on every run. */
const MAX_HASHED_SCRIPTS = 1000
/** Hashes the current process is known to hold (a stale entry only costs a resend). */
const MAX_KNOWN_HASHES = 1000
/** No answer for this long while runs are pending means the process is stuck: kill it. */
const MIN_STALL_MS = 10_000
const STALL_TIMEOUTS = 20
const CLOSE_GRACE_MS = 1000

interface Pending {
  readonly id: number
  readonly hash: string
  readonly event: string
  readonly code: string
  readonly startedAt: number
  readonly resolve: (outcome: TransformOutcome) => void
  /** Sent to the current process (as opposed to waiting to be sent). */
  sent: boolean
}

export function createTransformRunner(options: TransformRunnerOptions = {}): TransformRunner {
  const limits = resolveOptions(options)
  const sandboxConfig: SandboxConfig = {
    poolSize: limits.poolSize,
    memoryLimitMb: limits.memoryLimitMb,
    timeoutMs: limits.timeoutMs,
    maxOutputChars: limits.maxOutputBytes,
  }
  const stallMs = Math.max(MIN_STALL_MS, limits.timeoutMs * STALL_TIMEOUTS)

  const pending = new Map<number, Pending>()
  const hashes = new Map<string, string>()
  let unsent: Pending[] = []
  let known = new Set<string>()
  let child: ChildProcess | null = null
  let ready = false
  let everReady = false
  let restarts = 0
  let stalled = false
  let lastProgressAt = 0
  let flushScheduled = false
  let nextId = 1
  let closed = false
  let watchdog: NodeJS.Timeout | null = null
  let exited: Promise<void> = Promise.resolve()

  function start(): void {
    if (everReady) restarts++
    ready = false
    stalled = false
    known = new Set()
    const proc = fork(SANDBOX_ENTRY, [JSON.stringify(sandboxConfig)], {
      execArgv: SANDBOX_EXEC_ARGV,
      env: {},
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    })
    child = proc
    exited = new Promise((resolve) => proc.once('exit', () => resolve()))
    proc.on('message', (message: SandboxMessage) => {
      if (proc === child) onMessage(message)
    })
    proc.once('exit', (code, signal) => {
      if (proc === child) onExit(code, signal)
    })
    // A failed spawn also emits 'exit'; this only keeps the error from being thrown.
    proc.on('error', () => {})
    watchdog ??= setInterval(checkProgress, Math.min(stallMs, 1000)).unref()
    updateRef()
  }

  function onMessage(message: SandboxMessage): void {
    lastProgressAt = performance.now()
    if (message.t === 'ready') {
      ready = true
      everReady = true
      scheduleFlush()
      return
    }
    for (const answer of message.results) {
      const run = pending.get(answer[0])
      if (run === undefined) continue
      if (answer.length === 3) {
        settle(run, toOutcome({ k: 'done', out: answer[1], ms: answer[2] }, limits.maxOutputBytes))
      } else if (answer[1].k === 'missing') {
        run.sent = false
        unsent.push(run)
        known.delete(run.hash)
        scheduleFlush()
      } else {
        settle(run, toOutcome(answer[1], limits.maxOutputBytes))
      }
    }
    updateRef()
  }

  function onExit(code: number | null, signal: NodeJS.Signals | null): void {
    const wasReady = ready
    const how = signal === null ? `exit code ${code}` : `signal ${signal}`
    child = null
    ready = false
    const error: TransformError = stalled
      ? { kind: 'timeout', message: `the transform sandbox stopped answering for ${stallMs} ms and was restarted` }
      : wasReady
        ? { kind: 'memory', message: `the transform sandbox process died (${how}), most likely out of memory; it was restarted` }
        : { kind: 'memory', message: `the transform sandbox process could not start (${how})` }
    for (const run of [...pending.values()]) {
      // Runs the dead process never saw are still good; a process that never started fails them all.
      if (run.sent || !wasReady) settle(run, { kind: 'error', error, logs: [], durationMs: performance.now() - run.startedAt })
    }
    unsent = unsent.filter((run) => pending.has(run.id))
    if (!closed && wasReady) start()
    else updateRef()
  }

  function checkProgress(): void {
    const waiting = [...pending.values()].some((run) => run.sent)
    if (child !== null && waiting && performance.now() - lastProgressAt > stallMs) {
      stalled = true
      child.kill('SIGKILL')
    }
  }

  function settle(run: Pending, outcome: TransformOutcome): void {
    pending.delete(run.id)
    run.resolve(outcome)
  }

  function scheduleFlush(): void {
    if (flushScheduled) return
    flushScheduled = true
    // Every run requested in this tick goes out in the same message.
    queueMicrotask(flush)
  }

  function flush(): void {
    flushScheduled = false
    if (unsent.length === 0 || closedAndDrained()) return
    if (child === null) start()
    updateRef()
    if (!ready || child === null) return
    const idle = ![...pending.values()].some((run) => run.sent)
    if (idle) lastProgressAt = performance.now()
    const batch = unsent
    unsent = []
    for (let i = 0; i < batch.length; i += MAX_RUNS_PER_MESSAGE) {
      const runs: RunRequest[] = batch.slice(i, i + MAX_RUNS_PER_MESSAGE).map((run) => {
        run.sent = true
        if (known.has(run.hash)) return [run.id, run.hash, run.event]
        rememberKnown(run.hash)
        return [run.id, run.hash, run.event, run.code]
      })
      const message: HostMessage = { t: 'run', runs }
      child.send(message)
    }
    updateRef()
  }

  function closedAndDrained(): boolean {
    return closed && pending.size === 0
  }

  function rememberKnown(hash: string): void {
    known.add(hash)
    if (known.size > MAX_KNOWN_HASHES) known = new Set([hash])
  }

  /** Keep the host's event loop alive only while runs are waiting on the sandbox. */
  function updateRef(): void {
    if (child === null) return
    if (pending.size > 0) {
      child.ref()
      child.channel?.ref()
    } else {
      child.unref()
      child.channel?.unref()
    }
  }

  function hashOf(code: string): string {
    let hash = hashes.get(code)
    if (hash === undefined) {
      hash = createHash('sha256').update(code).digest('hex')
      if (hashes.size >= MAX_HASHED_SCRIPTS) hashes.clear()
      hashes.set(code, hash)
    }
    return hash
  }

  return {
    run(code: string, event: EventView): Promise<TransformOutcome> {
      const startedAt = performance.now()
      const refuse = (kind: TransformError['kind'], message: string): Promise<TransformOutcome> =>
        Promise.resolve({ kind: 'error', error: { kind, message }, logs: [], durationMs: performance.now() - startedAt })
      if (closed) return refuse('runtime', 'the transform runner is closed')
      if (Buffer.byteLength(code) > MAX_SCRIPT_BYTES) {
        return refuse('compile', `the script is larger than ${MAX_SCRIPT_BYTES} bytes`)
      }
      let encoded: string
      try {
        encoded = encodeSandboxEvent(event)
      } catch (error) {
        return refuse('runtime', `the event could not be encoded for the sandbox: ${String(error)}`)
      }
      return new Promise((resolve) => {
        const id = nextId++
        const run: Pending = { id, hash: hashOf(code), event: encoded, code, startedAt, resolve, sent: false }
        pending.set(id, run)
        unsent.push(run)
        scheduleFlush()
      })
    },

    stats() {
      return { pid: child?.pid ?? null, restarts, inFlight: pending.size }
    },

    async close() {
      if (closed) return
      closed = true
      const deadline = performance.now() + CLOSE_GRACE_MS
      while (pending.size > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10))
      for (const run of [...pending.values()]) {
        settle(run, {
          kind: 'error',
          error: { kind: 'runtime', message: 'the transform runner was closed before this run finished' },
          logs: [],
          durationMs: performance.now() - run.startedAt,
        })
      }
      unsent = []
      if (watchdog !== null) clearInterval(watchdog)
      const proc = child
      if (proc !== null) {
        // The process exits by itself once the IPC channel closes; SIGKILL if it does not.
        const force = setTimeout(() => proc.kill('SIGKILL'), CLOSE_GRACE_MS)
        proc.ref()
        if (proc.connected) proc.disconnect()
        await exited
        clearTimeout(force)
      }
    },
  }
}

function resolveOptions(options: TransformRunnerOptions): Required<TransformRunnerOptions> {
  const resolved = {
    poolSize: options.poolSize ?? DEFAULT_POOL_SIZE,
    memoryLimitMb: options.memoryLimitMb ?? DEFAULT_MEMORY_LIMIT_MB,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    maxOutputBytes: options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES,
  }
  for (const [name, value] of Object.entries(resolved)) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`transform runner: ${name} must be a positive integer, got ${value}`)
  }
  if (resolved.memoryLimitMb < MIN_MEMORY_LIMIT_MB) {
    throw new RangeError(`transform runner: memoryLimitMb must be at least ${MIN_MEMORY_LIMIT_MB} (isolated-vm's minimum)`)
  }
  return resolved
}
