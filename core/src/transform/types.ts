/**
 * The transform runner's public types and defaults.
 *
 * A transform is a user script (`function transform(event)`) that reshapes an event
 * before a subscription's action runs. See docs/transforms.md for the script contract.
 */
import type { EventView, Payload } from '../plugin/contract.ts'

/** Per-isolate heap limit. isolated-vm's minimum is 8 MB. */
export const DEFAULT_MEMORY_LIMIT_MB = 32
export const MIN_MEMORY_LIMIT_MB = 8
/** Wall-clock budget of one run (and of a script's top-level code when it is first loaded). */
export const DEFAULT_TIMEOUT_MS = 50
/** Largest transformed body, in bytes of UTF-8. */
export const DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024
/** Isolates in the sandbox process; each runs one script at a time on its own thread. */
export const DEFAULT_POOL_SIZE = 2
/** Larger scripts are refused before compiling: compilation is not covered by the run timeout. */
export const MAX_SCRIPT_BYTES = 256 * 1024
/** Console lines kept per run, and characters kept per line. */
export const MAX_LOG_LINES = 100
export const MAX_LOG_LINE_CHARS = 2000

export interface TransformRunnerOptions {
  /** Isolates kept warm in the sandbox process. */
  poolSize?: number
  memoryLimitMb?: number
  timeoutMs?: number
  maxOutputBytes?: number
}

export type TransformLogLevel = 'log' | 'info' | 'debug' | 'warn' | 'error'
export interface TransformLog {
  readonly level: TransformLogLevel
  readonly message: string
}

export type TransformErrorKind = 'compile' | 'runtime' | 'timeout' | 'memory' | 'output'
export interface TransformError {
  readonly kind: TransformErrorKind
  readonly message: string
  /** 1-based position in the script, when the error points into it. */
  readonly line?: number
  readonly column?: number
}

/**
 * What one run produced. Errors are values, never exceptions: a broken script fails its
 * delivery, it never takes the caller down.
 */
export type TransformOutcome =
  | { readonly kind: 'payload'; readonly payload: Payload; readonly logs: TransformLog[]; readonly durationMs: number }
  | { readonly kind: 'skip'; readonly logs: TransformLog[]; readonly durationMs: number }
  | { readonly kind: 'error'; readonly error: TransformError; readonly logs: TransformLog[]; readonly durationMs: number }

export interface TransformRunnerStats {
  /** Pid of the current sandbox process, or null when none is running. */
  readonly pid: number | null
  /** Sandbox processes started after the first one (crashes, out-of-memory, hangs). */
  readonly restarts: number
  /** Runs sent to the sandbox and not answered yet. */
  readonly inFlight: number
}

export interface TransformRunner {
  run(code: string, event: EventView): Promise<TransformOutcome>
  stats(): TransformRunnerStats
  /** Waits briefly for in-flight runs, then stops the sandbox process. Later runs fail. */
  close(): Promise<void>
}
