/**
 * The machine is shared: a measured run starts only when the 1-minute load average is
 * below a threshold (polled every 30 s, for a bounded time), and the load at the start
 * and end is written next to the numbers.
 */
import { readFileSync } from 'node:fs'

export const QUIET_LOAD = 1.5
export const QUIET_POLL_MS = 30_000
export const QUIET_WAIT_MAX_MS = 20 * 60_000

export const load1 = () => Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0])

/** Waits for load1 < max; returns the load when it gave up or the machine was quiet. */
export async function waitQuiet(max = QUIET_LOAD, waitMaxMs = QUIET_WAIT_MAX_MS, log = console.log): Promise<{ load: number; quiet: boolean }> {
  const deadline = Date.now() + waitMaxMs
  let l = load1()
  while (l >= max && Date.now() < deadline) {
    log(`  machine load ${l} >= ${max}; waiting (polling every ${QUIET_POLL_MS / 1000} s)`)
    await new Promise((r) => setTimeout(r, QUIET_POLL_MS))
    l = load1()
  }
  return { load: l, quiet: l < max }
}
