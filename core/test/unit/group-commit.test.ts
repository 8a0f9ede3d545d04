// Group commit: batching by size and time, bounded concurrency, errors to every caller.
import t from 'tap'
import { GroupCommit } from '../../src/util/group-commit.ts'

t.test('concurrent adds share one flush; each caller gets its own result', async (t) => {
  const batches: number[][] = []
  const gc = new GroupCommit<number, number>({ maxBatch: 100, maxWaitMs: 5, maxInFlight: 1, flush: async (xs) => (batches.push(xs), xs.map((x) => x * 2)) })
  const out = await Promise.all([1, 2, 3].map((x) => gc.add(x)))
  t.same(out, [2, 4, 6])
  t.same(batches, [[1, 2, 3]])
})

t.test('a full batch flushes without waiting; batches grow while flushes are busy', async (t) => {
  const sizes: number[] = []
  let release!: () => void
  const gate = new Promise<void>((r) => (release = r))
  const gc = new GroupCommit<number, number>({
    maxBatch: 4,
    maxWaitMs: 1000,
    maxInFlight: 1,
    flush: async (xs) => {
      sizes.push(xs.length)
      if (sizes.length === 1) await gate
      return xs
    },
  })
  const first = Promise.all([1, 2, 3, 4].map((x) => gc.add(x)))
  const more = Promise.all([5, 6, 7].map((x) => gc.add(x)))
  t.same(sizes, [4], 'flushed at maxBatch at once')
  release()
  await first
  await more
  t.same(sizes, [4, 3], 'what arrived meanwhile went in the next batch')
})

t.test('a failed flush rejects every caller in that batch', async (t) => {
  const gc = new GroupCommit<number, number>({ maxBatch: 10, maxWaitMs: 1, maxInFlight: 2, flush: async () => { throw new Error('db down') } })
  const res = await Promise.allSettled([gc.add(1), gc.add(2)])
  t.same(res.map((r) => r.status), ['rejected', 'rejected'])
  await gc.drain()
  t.equal(gc.pending, 0)
})
