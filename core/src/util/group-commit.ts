/**
 * Group commit: callers add one item each and await its result; items that arrive
 * within `maxWaitMs` (or until `maxBatch` are waiting) are written by one call of
 * `flush`. Up to `maxInFlight` flushes run at once; while all are busy, items keep
 * collecting, so batches grow under load instead of requests queueing one by one.
 * This is what turns N INSERTs into one on the ingest path and on the attempt path.
 */
export interface GroupCommitOptions<T, R> {
  readonly maxBatch: number
  readonly maxWaitMs: number
  readonly maxInFlight: number
  /** Writes a batch and returns one result per item, in order. */
  readonly flush: (items: T[]) => Promise<R[]>
  readonly onBatch?: (size: number) => void
}

interface Waiting<T, R> {
  item: T
  resolve: (r: R) => void
  reject: (e: unknown) => void
}

export class GroupCommit<T, R> {
  readonly #opts: GroupCommitOptions<T, R>
  #queue: Waiting<T, R>[] = []
  #timer: NodeJS.Timeout | null = null
  #inFlight = 0
  #idle: (() => void)[] = []

  constructor(opts: GroupCommitOptions<T, R>) {
    this.#opts = opts
  }

  add(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject })
      if (this.#queue.length >= this.#opts.maxBatch) this.#kick()
      else if (!this.#timer) this.#timer = setTimeout(() => this.#kick(), this.#opts.maxWaitMs)
    })
  }

  get pending(): number {
    return this.#queue.length + this.#inFlight
  }

  /** Resolves when nothing is queued or being written. */
  drain(): Promise<void> {
    if (this.#queue.length === 0 && this.#inFlight === 0) return Promise.resolve()
    this.#kick()
    return new Promise((resolve) => this.#idle.push(resolve))
  }

  #kick(): void {
    if (this.#timer) {
      clearTimeout(this.#timer)
      this.#timer = null
    }
    while (this.#queue.length > 0 && this.#inFlight < this.#opts.maxInFlight) {
      const batch = this.#queue.splice(0, this.#opts.maxBatch)
      void this.#run(batch)
    }
  }

  async #run(batch: Waiting<T, R>[]): Promise<void> {
    this.#inFlight++
    this.#opts.onBatch?.(batch.length)
    try {
      const results = await this.#opts.flush(batch.map((w) => w.item))
      batch.forEach((w, i) => w.resolve(results[i] as R))
    } catch (err) {
      for (const w of batch) w.reject(err)
    } finally {
      this.#inFlight--
      if (this.#queue.length > 0) this.#kick()
      else if (this.#inFlight === 0) for (const f of this.#idle.splice(0)) f()
    }
  }
}
