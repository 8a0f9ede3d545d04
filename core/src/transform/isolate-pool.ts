/**
 * A small pool of isolated-vm isolates, run inside the sandbox process.
 *
 * A call into an isolate costs far more than a trivial transform, so runs of the same
 * script waiting together go into the isolate as one call (a batch), and a few calls
 * are kept queued per isolate so its thread works back to back while this thread
 * handles IPC. A batch starts no new run after a few ms, so each run still gets its
 * full timeout; when the timeout fires, the runs already finished are kept, the one
 * running fails, the rest go back to the queue.
 *
 * A script gets its own context per isolate, created once and kept in a small LRU:
 * scripts cannot see each other's globals, and a warm run is one call. An isolate that
 * hit its memory limit is disposed by isolated-vm; the pool replaces it and re-queues
 * the runs that were waiting behind the one that blew it up.
 */
import ivm from 'isolated-vm'
import type { SandboxConfig, RawResult } from './protocol.ts'
import { PRELUDE_FILENAME, PRELUDE_SOURCE, SCRIPT_FILENAME } from './prelude.ts'

/** Contexts kept per isolate; each costs a few hundred KB of the isolate's heap. */
const MAX_SCRIPTS_PER_ISOLATE = 16
/** Calls queued on one isolate at once. Bounds how long a run waits behind slow scripts. */
const MAX_CALLS_PER_ISOLATE = 4
/** Runs of one script sent to the isolate in one call, and the event text they may carry. */
const MAX_BATCH_RUNS = 64
const MAX_BATCH_EVENT_CHARS = 256 * 1024
/** How far down the waiting queue to look for runs of the same script. */
const BATCH_SCAN = 512
/**
 * A batch starts no new run after this many ms, and its call may take timeout + this:
 * every run gets at least its full timeout, and at most this much more.
 */
const BATCH_BUDGET_MS = 5
/** Scripts whose compile error is remembered, so a broken script is not recompiled per event. */
const MAX_COMPILE_ERRORS = 256
/** A run re-queued this many times because its isolate died under it fails instead. */
const MAX_REQUEUES = 3
const TIMEOUT_MESSAGE = 'Script execution timed out.'
/** isolated-vm's message to the call that exceeded the limit; calls queued behind it get another. */
const MEMORY_LIMIT_MESSAGE = 'Isolate was disposed during execution due to memory limit'

interface Loaded {
  readonly run: ivm.Reference<(token: number, eventsJson: string, maxChars: number, budgetMs: number) => string>
  readonly partial: ivm.Reference<(token: number) => string>
}
interface Slot {
  isolate: ivm.Isolate
  prelude: ivm.Script
  /** Loaded (or loading) scripts by hash, least recently used first. */
  scripts: Map<string, Promise<Loaded>>
  contexts: Map<string, ivm.Context>
  calls: number
}
interface Job {
  readonly hash: string
  readonly code: string
  readonly event: string
  readonly resolve: (result: RawResult) => void
  requeues: number
  /** Run alone: set after a batch's isolate ran out of memory, to find which run did it. */
  solo: boolean
}
type Failure = Extract<RawResult, { k: 'error' }>

export interface IsolatePool {
  /** Never rejects: every failure is a result. */
  run(hash: string, code: string, eventJson: string): Promise<RawResult>
}

export function createIsolatePool(config: SandboxConfig, onCatastrophicError: (message: string) => void): IsolatePool {
  const compileErrors = new Map<string, Failure>()
  let waiting: Job[] = []
  let nextToken = 1
  const slots: Slot[] = Array.from({ length: config.poolSize }, () => ({ ...freshIsolate(), calls: 0 }))

  function freshIsolate(): Omit<Slot, 'calls'> {
    const isolate = new ivm.Isolate({ memoryLimit: config.memoryLimitMb, onCatastrophicError })
    const prelude = isolate.compileScriptSync(PRELUDE_SOURCE, { filename: PRELUDE_FILENAME })
    return { isolate, prelude, scripts: new Map(), contexts: new Map() }
  }

  function replaceIsolate(slot: Slot): void {
    if (!slot.isolate.isDisposed) slot.isolate.dispose()
    Object.assign(slot, freshIsolate())
  }

  function scriptOn(slot: Slot, hash: string, code: string): Promise<Loaded> {
    let loaded = slot.scripts.get(hash)
    if (loaded !== undefined) {
      slot.scripts.delete(hash)
    } else {
      loaded = load(slot, hash, code)
      // A failed load is not kept: the next run tries again (or hits the compile-error cache).
      loaded.catch(() => {
        if (slot.scripts.get(hash) === loaded) slot.scripts.delete(hash)
      })
      evictFrom(slot)
    }
    slot.scripts.set(hash, loaded)
    return loaded
  }

  async function load(slot: Slot, hash: string, code: string): Promise<Loaded> {
    const { isolate, prelude } = slot
    const context = await isolate.createContext()
    slot.contexts.set(hash, context)
    try {
      const api = (await prelude.run(context, { reference: true, timeout: config.timeoutMs })) as ivm.Reference<Record<string, unknown>>
      const loaded: Loaded = {
        run: (await api.get('run', { reference: true })) as Loaded['run'],
        partial: (await api.get('partial', { reference: true })) as Loaded['partial'],
      }
      const script = await isolate.compileScript(code, { filename: SCRIPT_FILENAME }).catch((error: unknown) => {
        throw new CompileError(error)
      })
      try {
        await script.run(context, { timeout: config.timeoutMs })
      } finally {
        script.release()
      }
      return loaded
    } catch (error) {
      if (slot.contexts.get(hash) === context) slot.contexts.delete(hash)
      if (!isolate.isDisposed) context.release()
      throw error
    }
  }

  function evictFrom(slot: Slot): void {
    for (const oldest of slot.scripts.keys()) {
      if (slot.scripts.size < MAX_SCRIPTS_PER_ISOLATE) break
      slot.scripts.delete(oldest)
      // Calls already queued on the context finish first: isolated-vm keeps it alive for them.
      slot.contexts.get(oldest)?.release()
      slot.contexts.delete(oldest)
    }
  }

  /** Runs a batch of one script's runs; settles each job or puts it back in the queue. */
  async function execute(slot: Slot, jobs: Job[]): Promise<void> {
    const started = performance.now()
    const isolate = slot.isolate
    const first = jobs[0] as Job
    const token = nextToken++
    let lines: string[]
    let timedOut = false
    try {
      const script = await scriptOn(slot, first.hash, first.code)
      const events = `[${jobs.map((job) => job.event).join(',')}]`
      try {
        const out = await script.run.apply(undefined, [token, events, config.maxOutputChars, BATCH_BUDGET_MS], {
          timeout: config.timeoutMs + BATCH_BUDGET_MS,
        })
        lines = out.split('\n')
      } catch (error) {
        if (isolate.isDisposed || !(error instanceof Error) || error.message !== TIMEOUT_MESSAGE) throw error
        // The run after the last finished one is the one that timed out.
        timedOut = true
        const done = await script.partial.apply(undefined, [token], { timeout: config.timeoutMs })
        lines = done === '' ? [] : done.split('\n')
        jobs[lines.length]?.resolve({
          k: 'error', kind: 'timeout', message: `the script ran longer than ${config.timeoutMs} ms`, stack: error.stack,
          ms: performance.now() - started,
        })
      }
    } catch (error) {
      fail(slot, isolate, jobs, error, performance.now() - started)
      return
    }
    const ms = (performance.now() - started) / Math.max(1, lines.length)
    lines.forEach((out, i) => jobs[i]?.resolve({ k: 'done', out, ms }))
    // Runs the batch did not reach (budget or output size) go back to the front of the queue.
    requeue(jobs.slice(lines.length + (timedOut ? 1 : 0)))
  }

  function fail(slot: Slot, isolate: ivm.Isolate, jobs: Job[], error: unknown, ms: number): void {
    const err = error instanceof CompileError ? error.cause : error
    const message = err instanceof Error ? err.message : String(err)
    if (isolate.isDisposed) {
      if (isolate === slot.isolate) replaceIsolate(slot)
      const culprit = message === MEMORY_LIMIT_MESSAGE
      if (culprit && jobs.length > 1) {
        // One run of the batch blew the limit: run each alone to find which.
        for (const job of jobs) job.solo = true
      }
      const retry = jobs.filter((job) => !(culprit && jobs.length === 1) && job.requeues < MAX_REQUEUES)
      for (const job of jobs) {
        if (!retry.includes(job)) {
          job.resolve({ k: 'error', kind: 'memory', message: `the script exceeded the ${config.memoryLimitMb} MB memory limit`, ms })
        }
      }
      for (const job of retry) job.requeues++
      requeue(retry)
      return
    }
    const failure: Failure = message === TIMEOUT_MESSAGE
      ? { k: 'error', kind: 'timeout', message: `the script ran longer than ${config.timeoutMs} ms`, stack: stackOf(err), ms }
      : {
          k: 'error',
          kind: error instanceof CompileError ? 'compile' : 'runtime',
          message: err instanceof Error ? `${err.name}: ${err.message}` : message,
          stack: stackOf(err),
          ms,
        }
    if (failure.kind === 'compile') rememberCompileError((jobs[0] as Job).hash, failure)
    // A load failure (syntax error, top-level throw or loop) is the same for every run of the script.
    for (const job of jobs) job.resolve(failure)
  }

  function requeue(jobs: Job[]): void {
    if (jobs.length > 0) waiting = [...jobs, ...waiting]
  }

  function rememberCompileError(hash: string, failure: Failure): void {
    compileErrors.set(hash, { ...failure, ms: 0 })
    for (const oldest of compileErrors.keys()) {
      if (compileErrors.size <= MAX_COMPILE_ERRORS) break
      compileErrors.delete(oldest)
    }
  }

  /** The least busy isolate with room, preferring one that already has the script loaded. */
  function pickSlot(hash: string): Slot | undefined {
    let best: Slot | undefined
    for (const slot of slots) {
      if (slot.calls >= MAX_CALLS_PER_ISOLATE) continue
      if (best === undefined || slot.calls < best.calls) best = slot
    }
    if (best === undefined) return undefined
    const least = best.calls
    return slots.find((s) => s.scripts.has(hash) && s.calls < MAX_CALLS_PER_ISOLATE && s.calls <= least + 1) ?? best
  }

  /** Takes the first waiting run and, unless it must run alone, later runs of the same script. */
  function takeBatch(): Job[] {
    const first = waiting[0] as Job
    if (first.solo) return waiting.splice(0, 1)
    const batch: Job[] = []
    const rest: Job[] = []
    let chars = 0
    const scan = Math.min(waiting.length, BATCH_SCAN)
    for (let i = 0; i < scan; i++) {
      const job = waiting[i] as Job
      const fits = job.hash === first.hash && !job.solo && batch.length < MAX_BATCH_RUNS &&
        (batch.length === 0 || chars + job.event.length <= MAX_BATCH_EVENT_CHARS)
      if (fits) {
        batch.push(job)
        chars += job.event.length
      } else {
        rest.push(job)
      }
    }
    waiting = scan === waiting.length ? rest : [...rest, ...waiting.slice(scan)]
    return batch
  }

  function pump(): void {
    while (waiting.length > 0) {
      const first = waiting[0] as Job
      const known = compileErrors.get(first.hash)
      if (known !== undefined) {
        waiting.shift()
        first.resolve(known)
        continue
      }
      const slot = pickSlot(first.hash)
      if (slot === undefined) return
      const batch = takeBatch()
      slot.calls++
      void execute(slot, batch).finally(() => {
        slot.calls--
        pump()
      })
    }
  }

  return {
    run(hash, code, event) {
      return new Promise((resolve) => {
        waiting.push({ hash, code, event, resolve, requeues: 0, solo: false })
        pump()
      })
    },
  }
}

function stackOf(error: unknown): string | undefined {
  return error instanceof Error ? error.stack : undefined
}

/** Marks an error thrown while compiling (a syntax error), as opposed to running, the script. */
class CompileError extends Error {
  constructor(cause: unknown) {
    super('compile error', { cause })
  }
}
