/**
 * A small cache of loads: each key's promise is kept for `ttlMs`, so concurrent and
 * repeated lookups within that time cost one load. A failed load is not kept (the next
 * lookup tries again). Past `maxEntries` the cache starts over rather than tracking
 * recency: the hot keys come back within one load each.
 */
export class TtlCache<K, V> {
  readonly #ttlMs: number
  readonly #maxEntries: number
  readonly #entries = new Map<K, { value: Promise<V>; expires: number; settled?: { value: V } }>()

  constructor(opts: { ttlMs: number; maxEntries?: number }) {
    this.#ttlMs = opts.ttlMs
    this.#maxEntries = opts.maxEntries ?? 10_000
  }

  /** The cached value without waiting, when a fresh one has settled (a hot path's shortcut). */
  peek(key: K): { value: V } | undefined {
    const hit = this.#entries.get(key)
    return hit && hit.expires > Date.now() ? hit.settled : undefined
  }

  get(key: K, load: (key: K) => Promise<V>): Promise<V> {
    const now = Date.now()
    const hit = this.#entries.get(key)
    if (hit && hit.expires > now) return hit.value
    if (this.#entries.size >= this.#maxEntries) this.#entries.clear()
    const value = load(key)
    const entry: { value: Promise<V>; expires: number; settled?: { value: V } } = { value, expires: now + this.#ttlMs }
    this.#entries.set(key, entry)
    value.then(
      (v) => (entry.settled = { value: v }),
      () => this.#entries.get(key) === entry && this.#entries.delete(key),
    )
    return value
  }

  invalidate(): void {
    this.#entries.clear()
  }
}
