/**
 * Messages between the runner (host) and the sandbox process, over Node's IPC channel.
 *
 * Runs travel in batches (many per message) because the IPC hop, not the isolate call,
 * is the expensive part. Only strings and plain data cross: the event goes in as a JSON
 * string that the isolate parses itself, the output comes back as a string.
 */
import type { TransformErrorKind } from './types.ts'

export interface SandboxConfig {
  readonly poolSize: number
  readonly memoryLimitMb: number
  readonly timeoutMs: number
  /** Output length cap checked inside the isolate, in UTF-16 units (the host checks bytes). */
  readonly maxOutputChars: number
}

/**
 * One run, as a tuple (a tenth of the serialization cost of an object per run):
 * id, sha256 of the script (the cache key), the event as the script sees it
 * (JSON-encoded), and the script itself the first time a process sees the hash or
 * when it answered `missing`.
 */
export type RunRequest = readonly [id: number, hash: string, event: string, code?: string]

export type RawLog = readonly [level: string, message: string]

/** What the prelude's run function returned, decoded (see prelude.ts). */
export type ScriptResult =
  | readonly [tag: 'payload', body: string, json: boolean, options: string | null, logs: RawLog[], dropped: number]
  | readonly [tag: 'skip', logs: RawLog[], dropped: number]
  | readonly [tag: 'error', kind: TransformErrorKind, message: string, stack: string, logs: RawLog[], dropped: number]

export type RawResult =
  /** The script ran: `out` is the prelude's JSON string, passed through undecoded. */
  | { readonly k: 'done'; readonly out: string; readonly ms: number }
  /** The run failed outside the script's control: compile error, timeout, memory. */
  | { readonly k: 'error'; readonly kind: TransformErrorKind; readonly message: string; readonly stack?: string; readonly ms: number }
  /** The process does not hold this script's source (restarted or evicted): send it again with the code. */
  | { readonly k: 'missing' }

export type HostMessage = { readonly t: 'run'; readonly runs: readonly RunRequest[] }

export type SandboxMessage =
  | { readonly t: 'ready' }
  /** Per run: [id, result], or [id, out, ms] for a run that finished (the common case, kept small). */
  | { readonly t: 'results'; readonly results: readonly Answer[] }

export type Answer =
  | readonly [id: number, out: string, ms: number]
  | readonly [id: number, result: Exclude<RawResult, { k: 'done' }>]
