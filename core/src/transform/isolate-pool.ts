/**
 * A small pool of isolated-vm isolates, run inside the sandbox process.
 *
 * Each isolate runs one script at a time (isolated-vm runs it on its own thread, so
 * isolates work in parallel). A script gets its own context per isolate, created once
 * and kept in a small LRU: scripts cannot see each other's globals, and the per-run cost
 * is one call, not a context. An isolate that hit its memory limit is disposed by
 * isolated-vm; the pool replaces it.
 */
import ivm from 'isolated-vm'
import type { SandboxConfig, RawResult, RawLog } from './protocol.ts'
import { PRELUDE_FILENAME, PRELUDE_SOURCE, SCRIPT_FILENAME } from './prelude.ts'
import type { TransformErrorKind } from './types.ts'

/** Contexts kept per isolate; each costs a few hundred KB of the isolate's heap. */
const MAX_SCRIPTS_PER_ISOLATE = 16
/** Scripts whose compile error is remembered, so a broken script is not recompiled per event. */
const MAX_COMPILE_ERRORS = 256
const TIMEOUT_MESSAGE = 'Script execution timed out.'

type RunFn = (eventJson: string, maxChars: number) => unknown[]
interface LoadedScript {
  readonly context: ivm.Context
  readonly run: ivm.Reference<RunFn>
}
interface Slot {
  isolate: ivm.Isolate
  prelude: ivm.Script
  readonly scripts: Map<string, LoadedScript>
  busy: boolean
}
interface Job {
  readonly hash: string
  readonly code: string
  readonly event: string
  readonly resolve: (result: RawResult) => void
}
type Failure = Extract<RawResult, { k: 'error' }>

export interface IsolatePool {
  /** Never rejects: every failure is a result. */
  run(hash: string, code: string, eventJson: string): Promise<RawResult>
}

export function createIsolatePool(config: SandboxConfig, onCatastrophicError: (message: string) => void): IsolatePool {
  const compileErrors = new Map<string, Failure>()
  const queue: Job[] = []

  function newSlotParts(): Pick<Slot, 'isolate' | 'prelude'> {
    const isolate = new ivm.Isolate({ memoryLimit: config.memoryLimitMb, onCatastrophicError })
    const prelude = isolate.compileScriptSync(PRELUDE_SOURCE, { filename: PRELUDE_FILENAME })
    return { isolate, prelude }
  }
  const slots: Slot[] = Array.from({ length: config.poolSize }, () => ({ ...newSlotParts(), scripts: new Map(), busy: false }))

  function replaceIsolate(slot: Slot): void {
    if (!slot.isolate.isDisposed) slot.isolate.dispose()
    slot.scripts.clear()
    Object.assign(slot, newSlotParts())
  }

  async function load(slot: Slot, hash: string, code: string): Promise<LoadedScript> {
    const context = await slot.isolate.createContext()
    try {
      const run = (await slot.prelude.run(context, { reference: true, timeout: config.timeoutMs })) as ivm.Reference<RunFn>
      const script = await slot.isolate.compileScript(code, { filename: SCRIPT_FILENAME }).catch((error: unknown) => {
        throw new CompileError(error)
      })
      try {
        await script.run(context, { timeout: config.timeoutMs })
      } finally {
        script.release()
      }
      const loaded = { context, run }
      slot.scripts.set(hash, loaded)
      for (const [oldest, evicted] of slot.scripts) {
        if (slot.scripts.size <= MAX_SCRIPTS_PER_ISOLATE) break
        slot.scripts.delete(oldest)
        evicted.context.release()
      }
      return loaded
    } catch (error) {
      if (!slot.isolate.isDisposed) context.release()
      throw error
    }
  }

  async function execute(slot: Slot, job: Job): Promise<RawResult> {
    const started = performance.now()
    try {
      let loaded = slot.scripts.get(job.hash)
      if (loaded === undefined) {
        loaded = await load(slot, job.hash, job.code)
      } else {
        // Re-insert to keep the map in least-recently-used order.
        slot.scripts.delete(job.hash)
        slot.scripts.set(job.hash, loaded)
      }
      const out = (await loaded.run.apply(undefined, [job.event, config.maxOutputChars], {
        timeout: config.timeoutMs,
        result: { copy: true },
      })) as unknown[]
      return fromIsolate(out, performance.now() - started)
    } catch (error) {
      const failure = classify(error, slot, performance.now() - started)
      if (failure.kind === 'compile') remember(job.hash, failure)
      if (slot.isolate.isDisposed) replaceIsolate(slot)
      return failure
    }
  }

  function classify(error: unknown, slot: Slot, ms: number): Failure {
    const base = { logs: [], dropped: 0, ms }
    if (slot.isolate.isDisposed) {
      return { ...base, k: 'error', kind: 'memory', message: `the script exceeded the ${config.memoryLimitMb} MB memory limit` }
    }
    const compile = error instanceof CompileError
    const cause = compile ? error.cause : error
    const err = cause instanceof Error ? cause : new Error(String(cause))
    if (err.message === TIMEOUT_MESSAGE) {
      return { ...base, k: 'error', kind: 'timeout', message: `the script ran longer than ${config.timeoutMs} ms`, stack: err.stack }
    }
    return { ...base, k: 'error', kind: compile ? 'compile' : 'runtime', message: `${err.name}: ${err.message}`, stack: err.stack }
  }

  function remember(hash: string, failure: Failure): void {
    compileErrors.set(hash, { ...failure, ms: 0 })
    for (const oldest of compileErrors.keys()) {
      if (compileErrors.size <= MAX_COMPILE_ERRORS) break
      compileErrors.delete(oldest)
    }
  }

  function pump(): void {
    while (queue.length > 0) {
      const idle = slots.filter((s) => !s.busy)
      if (idle.length === 0) return
      const job = queue.shift() as Job
      const known = compileErrors.get(job.hash)
      if (known !== undefined) {
        job.resolve(known)
        continue
      }
      const slot = idle.find((s) => s.scripts.has(job.hash)) ?? (idle[0] as Slot)
      slot.busy = true
      void execute(slot, job).then((result) => {
        slot.busy = false
        job.resolve(result)
        pump()
      })
    }
  }

  return {
    run(hash, code, event) {
      return new Promise((resolve) => {
        queue.push({ hash, code, event, resolve })
        pump()
      })
    },
  }
}

/** Marks an error thrown while compiling (a syntax error), as opposed to running, the script. */
class CompileError extends Error {
  constructor(cause: unknown) {
    super('compile error', { cause })
  }
}

/** Turns the prelude's tuple (see prelude.ts) into a result. */
function fromIsolate(out: unknown[], ms: number): RawResult {
  const [tag] = out
  if (tag === 'payload') {
    const [, body, json, options, logs, dropped] = out as [string, string, boolean, string | null, RawLog[], number]
    return { k: 'payload', body, json, options, logs, dropped, ms }
  }
  if (tag === 'skip') {
    const [, logs, dropped] = out as [string, RawLog[], number]
    return { k: 'skip', logs, dropped, ms }
  }
  const [, kind, message, stack, logs, dropped] = out as [string, TransformErrorKind, string, string, RawLog[], number]
  return { k: 'error', kind, message, stack: stack === '' ? undefined : stack, logs, dropped, ms }
}
