/**
 * One consumer of one stream in one consumer group: reads new entries in batches as
 * capacity allows, and reclaims entries that a dead consumer read but never acked
 * (XAUTOCLAIM after `reclaimIdleMs`). The handler acks. Each consumer has its own
 * blocking connection so a long XREADGROUP BLOCK holds up nothing else.
 */
import type { Logger } from 'pino'
import type { RelayRedis } from '../redis/client.ts'
import { toEntries, type StreamEntry } from '../queue/entries.ts'

export type { StreamEntry }

export interface StreamConsumerOptions {
  readonly cmd: RelayRedis
  readonly block: RelayRedis
  readonly stream: string
  readonly group: string
  readonly consumer: string
  readonly readCount: number
  readonly blockMs: number
  readonly reclaimIdleMs: number
  readonly reclaimIntervalMs: number
  /** Entries it can take now (0 pauses reading until `notify()`). */
  readonly capacity: () => number
  readonly handle: (entries: StreamEntry[]) => Promise<void>
  readonly log: Logger
}

export async function ensureGroup(redis: RelayRedis, stream: string, group: string): Promise<void> {
  try {
    // '0': a group created after a Redis flush still reads entries the reconciler re-adds.
    await redis.xgroup('CREATE', stream, group, '0', 'MKSTREAM')
  } catch (err) {
    if (!/BUSYGROUP/.test(String((err as Error).message))) throw err
  }
}

export class StreamConsumer {
  readonly #o: StreamConsumerOptions
  #running = false
  #loop: Promise<void> | null = null
  #reclaimTimer: NodeJS.Timeout | null = null
  #wake: (() => void) | null = null
  #reclaiming = false

  constructor(o: StreamConsumerOptions) {
    this.#o = o
  }

  async start(): Promise<void> {
    await ensureGroup(this.#o.cmd, this.#o.stream, this.#o.group)
    this.#running = true
    this.#loop = this.#run()
    this.#reclaimTimer = setInterval(() => void this.reclaim(), this.#o.reclaimIntervalMs)
    this.#reclaimTimer.unref()
  }

  /** Call when capacity frees up, so a paused loop reads again. */
  notify(): void {
    this.#wake?.()
  }

  /** Stops reading; entries already handed to the handler are the caller's to finish. */
  async stop(): Promise<void> {
    this.#running = false
    if (this.#reclaimTimer) clearInterval(this.#reclaimTimer)
    this.#wake?.()
    // Unblocks a pending XREADGROUP at once instead of waiting out BLOCK.
    this.#o.block.disconnect()
    await this.#loop
  }

  async #run(): Promise<void> {
    const o = this.#o
    while (this.#running) {
      const n = Math.min(o.readCount, o.capacity())
      if (n <= 0) {
        await new Promise<void>((resolve) => {
          this.#wake = resolve
          setTimeout(resolve, 1000).unref()
        })
        this.#wake = null
        continue
      }
      let entries: StreamEntry[]
      try {
        const res = (await o.block.xreadgroup('GROUP', o.group, o.consumer, 'COUNT', n, 'BLOCK', o.blockMs, 'STREAMS', o.stream, '>')) as
          | [string, [string, string[]][]][]
          | null
        entries = toEntries(res?.[0]?.[1])
      } catch (err) {
        if (!this.#running) break
        const msg = String((err as Error).message)
        if (/NOGROUP/.test(msg)) {
          // Redis lost the stream (restart, flush): recreate the group and go on.
          await ensureGroup(o.cmd, o.stream, o.group).catch(() => {})
        } else {
          o.log.warn({ err: msg, stream: o.stream }, 'stream read failed; retrying')
          await sleep(500)
        }
        continue
      }
      if (entries.length) await this.#handle(entries)
    }
  }

  /** Takes over entries idle longer than reclaimIdleMs from any consumer, including dead ones. */
  async reclaim(): Promise<number> {
    const o = this.#o
    if (this.#reclaiming || !this.#running) return 0
    this.#reclaiming = true
    let total = 0
    try {
      let cursor = '0-0'
      do {
        const n = Math.min(o.readCount, o.capacity())
        if (n <= 0) break
        const res = (await o.cmd.xautoclaim(o.stream, o.group, o.consumer, o.reclaimIdleMs, cursor, 'COUNT', n)) as [string, [string, string[]][], string[]?]
        cursor = res[0]
        const entries = toEntries(res[1])
        if (entries.length) {
          total += entries.length
          o.log.info({ stream: o.stream, count: entries.length }, 'reclaimed entries idle past the reclaim time')
          await this.#handle(entries)
        }
      } while (cursor !== '0-0' && this.#running)
    } catch (err) {
      const msg = String((err as Error).message)
      if (/NOGROUP/.test(msg)) await ensureGroup(o.cmd, o.stream, o.group).catch(() => {})
      else o.log.warn({ err: msg, stream: o.stream }, 'reclaim failed')
    } finally {
      this.#reclaiming = false
    }
    return total
  }

  async #handle(entries: StreamEntry[]): Promise<void> {
    try {
      await this.#o.handle(entries)
    } catch (err) {
      // Unacked entries stay pending and are reclaimed later; nothing is lost.
      this.#o.log.error({ err, stream: this.#o.stream }, 'handling stream entries failed; they will be reclaimed')
    }
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
