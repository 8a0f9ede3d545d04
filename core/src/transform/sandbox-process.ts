/**
 * Entry point of the sandbox process, forked by the runner (runner.ts).
 *
 * isolated-vm's guidance is to run untrusted code in its own process: some V8
 * out-of-memory conditions inside an isolate abort the whole process. Here that
 * process is this one, which holds nothing but the isolates; the runner restarts it.
 * It is started with an empty environment, so even an escape finds no secrets.
 */
import { createIsolatePool } from './isolate-pool.ts'
import type { Answer, HostMessage, RawResult, SandboxConfig, SandboxMessage } from './protocol.ts'

/** Script sources kept by hash; on a miss the runner sends the source again. */
const MAX_SOURCES = 1000
/** Exit code when isolated-vm reports an unrecoverable isolate: the runner restarts us. */
const EXIT_CATASTROPHIC = 70

const config = JSON.parse(process.argv[2] ?? '{}') as SandboxConfig
const sources = new Map<string, string>()
let outbox: Answer[] = []
let flushScheduled = false

const pool = createIsolatePool(config, (message) => {
  process.stderr.write(`transform sandbox: isolated-vm catastrophic error, exiting: ${message}\n`)
  process.exit(EXIT_CATASTROPHIC)
})

function send(message: SandboxMessage): void {
  // A failed send means the runner is gone: nothing left to serve.
  process.send?.(message, undefined, undefined, (error: Error | null) => {
    if (error !== null) process.exit(0)
  })
}

function answer(id: number, result: RawResult): void {
  outbox.push(result.k === 'done' ? [id, result.out, result.ms] : [id, result])
  if (!flushScheduled) {
    flushScheduled = true
    // Results finishing in the same turn share one IPC message.
    setImmediate(() => {
      flushScheduled = false
      const results = outbox
      outbox = []
      send({ t: 'results', results })
    })
  }
}

function remember(hash: string, code: string): void {
  sources.delete(hash)
  sources.set(hash, code)
  for (const oldest of sources.keys()) {
    if (sources.size <= MAX_SOURCES) break
    sources.delete(oldest)
  }
}

process.on('message', (message: HostMessage) => {
  if (message.t !== 'run') return
  for (const [id, hash, event, sent] of message.runs) {
    if (sent !== undefined) remember(hash, sent)
    const code = sent ?? sources.get(hash)
    if (code === undefined) {
      answer(id, { k: 'missing' })
      continue
    }
    void pool.run(hash, code, event).then((result) => answer(id, result))
  }
})

// The runner went away (closed or crashed): nothing left to serve.
process.on('disconnect', () => process.exit(0))

send({ t: 'ready' })
