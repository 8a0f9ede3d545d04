/** Samples resident memory (VmRSS from /proc/<pid>/status) of the relay's processes. */
import { readFileSync } from 'node:fs'

export const RSS_SAMPLE_MS = 250

function rssMiB(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) / 1024 : undefined
  } catch {
    return undefined
  }
}

export interface RssSampler {
  /** RSS in MiB per process label: at start, peak, at the end. */
  stop(): Record<string, { peakMiB: number; startMiB: number; endMiB: number }>
}

export function sampleRss(pids: Record<string, number>): RssSampler {
  const stats = new Map<string, { peakMiB: number; startMiB: number; endMiB: number }>()
  const tick = () => {
    for (const [label, pid] of Object.entries(pids)) {
      const v = rssMiB(pid)
      if (v === undefined) continue
      const s = stats.get(label)
      if (!s) stats.set(label, { peakMiB: v, startMiB: v, endMiB: v })
      else {
        s.peakMiB = Math.max(s.peakMiB, v)
        s.endMiB = v
      }
    }
  }
  tick()
  const timer = setInterval(tick, RSS_SAMPLE_MS)
  return {
    stop() {
      clearInterval(timer)
      tick()
      const round = (n: number) => Math.round(n * 10) / 10
      return Object.fromEntries([...stats].map(([k, s]) => [k, { peakMiB: round(s.peakMiB), startMiB: round(s.startMiB), endMiB: round(s.endMiB) }]))
    },
  }
}
