/**
 * A small pool of isolated-vm isolates, run inside the sandbox process.
 *
 * isolated-vm runs each isolate on its own thread and queues calls per isolate, so the
 * pool keeps several runs queued on each isolate: the isolate works through them back
 * to back while this thread handles IPC (one call at a time per isolate runs ~8x
 * slower). Each run still has its own timeout, counted from when it starts.
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
/** Runs queued on one isolate at once. Bounds how long a run waits behind slow scripts. */
const MAX_QUEUED_PER_ISOLATE = 32
/** Scripts whose compile error is remembered, so a broken script is not recompiled per event. */
const MAX_COMPILE_ERRORS = 256
/** A run re-queued this many times because other scripts killed its isolate fails instead. */
const MAX_REQUEUES = 3
const TIMEOUT_MESSAGE = 'Script execution timed out.'
/** isolated-vm's message to the run that exceeded the limit; runs queued behind it get another. */
const MEMORY_LIMIT_MESSAGE = 'Isolate was disposed during execution due to memory limit'

type RunFn = (eventJson: string, maxChars: number) => string
interface Slot {
  isolate: ivm.Isolate
  prelude: ivm.Script
  /** Loaded (or loading) scripts by hash, least recently used first. */
  scripts: Map<string, Promise<ivm.Reference<RunFn>>>
  contexts: Map<string, ivm.Context>
  queued: number
}
interface Job {
  readonly hash: string
  readonly code: string
  readonly event: string
  readonly resolve: (result: RawResult) => void
  requeues: number
}
type Failure = Extract<RawResult, { k: 'error' }>

export interface IsolatePool {
  /** Never rejects: every failure is a result. */
  run(hash: string, code: string, eventJson: string): Promise<RawResult>
}

export function createIsolatePool(config: SandboxConfig, onCatastrophicError: (message: string) => void): IsolatePool {
  const compileErrors = new Map<string, Failure>()
  const waiting: Job[] = []
  const slots: Slot[] = Array.from({ length: config.poolSize }, () => ({ ...freshIsolate(), queued: 0 }))

  function freshIsolate(): Omit<Slot, 'queued'> {
    const isolate = new ivm.Isolate({ memoryLimit: config.memoryLimitMb, onCatastrophicError })
    const prelude = isolate.compileScriptSync(PRELUDE_SOURCE, { filename: PRELUDE_FILENAME })
    return { isolate, prelude, scripts: new Map(), contexts: new Map() }
  }

  function replaceIsolate(slot: Slot): void {
    if (!slot.isolate.isDisposed) slot.isolate.dispose()
    Object.assign(slot, freshIsolate())
  }

  function scriptOn(slot: Slot, hash: string, code: string): Promise<ivm.Reference<RunFn>> {
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

  async function load(slot: Slot, hash: string, code: string): Promise<ivm.Reference<RunFn>> {
    const { isolate, prelude } = slot
    const context = await isolate.createContext()
    slot.contexts.set(hash, context)
    try {
      const run = (await prelude.run(context, { reference: true, timeout: config.timeoutMs })) as ivm.Reference<RunFn>
      const script = await isolate.compileScript(code, { filename: SCRIPT_FILENAME }).catch((error: unknown) => {
        throw new CompileError(error)
      })
      try {
        await script.run(context, { timeout: config.timeoutMs })
      } finally {
        script.release()
      }
      return run
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
      // Runs already queued on the context finish first: isolated-vm keeps it alive for them.
      slot.contexts.get(oldest)?.release()
      slot.contexts.delete(oldest)
    }
  }

  async function execute(slot: Slot, job: Job): Promise<RawResult | 'requeue'> {
    const started = performance.now()
    const isolate = slot.isolate
    try {
      const run = await scriptOn(slot, job.hash, job.code)
      const out = await run.apply(undefined, [job.event, config.maxOutputChars], { timeout: config.timeoutMs })
      return { k: 'done', out, ms: performance.now() - started }
    } catch (error) {
      const ms = performance.now() - started
      const err = error instanceof CompileError ? error.cause : error
      const message = err instanceof Error ? err.message : String(err)
      if (isolate.isDisposed) {
        if (isolate === slot.isolate) replaceIsolate(slot)
        if (message !== MEMORY_LIMIT_MESSAGE && job.requeues < MAX_REQUEUES) return 'requeue'
        return { k: 'error', kind: 'memory', message: `the script exceeded the ${config.memoryLimitMb} MB memory limit`, ms }
      }
      if (message === TIMEOUT_MESSAGE) {
        return { k: 'error', kind: 'timeout', message: `the script ran longer than ${config.timeoutMs} ms`, stack: stackOf(err), ms }
      }
      const failure: Failure = {
        k: 'error',
        kind: error instanceof CompileError ? 'compile' : 'runtime',
        message: err instanceof Error ? `${err.name}: ${err.message}` : message,
        stack: stackOf(err),
        ms,
      }
      if (failure.kind === 'compile') rememberCompileError(job.hash, failure)
      return failure
    }
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
      if (slot.queued >= MAX_QUEUED_PER_ISOLATE) continue
      if (best === undefined || slot.queued < best.queued) best = slot
    }
    if (best === undefined) return undefined
    const warm = slots.find((s) => s.scripts.has(hash) && s.queued < MAX_QUEUED_PER_ISOLATE && s.queued <= best.queued + 1)
    return warm ?? best
  }

  function pump(): void {
    while (waiting.length > 0) {
      const job = waiting[0] as Job
      const known = compileErrors.get(job.hash)
      if (known !== undefined) {
        waiting.shift()
        job.resolve(known)
        continue
      }
      const slot = pickSlot(job.hash)
      if (slot === undefined) return
      waiting.shift()
      slot.queued++
      void execute(slot, job).then((result) => {
        slot.queued--
        if (result === 'requeue') {
          job.requeues++
          waiting.unshift(job)
        } else {
          job.resolve(result)
        }
        pump()
      })
    }
  }

  return {
    run(hash, code, event) {
      return new Promise((resolve) => {
        waiting.push({ hash, code, event, resolve, requeues: 0 })
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
