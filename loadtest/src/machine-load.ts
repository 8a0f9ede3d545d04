/**
 * The machine is shared: a measured run starts only when the 1-minute load average is
 * below a threshold (polled every 30 s, for a bounded time), and the load at the start
 * and end is written next to the numbers.
 */
import { readFileSync } from 'node:fs'

export const QUIET_LOAD = 1.5
export const QUIET_POLL_MS = 30_000
/** LOADTEST_QUIET_WAIT_S shortens or lengthens the budget (default 20 min). */
export const QUIET_WAIT_MAX_MS = Number(process.env.LOADTEST_QUIET_WAIT_S ?? 20 * 60) * 1000

export const load1 = () => Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0])

/** Waiting is budgeted per process: a busy machine delays the first run, not every run by 20 min. */
let budgetMs = QUIET_WAIT_MAX_MS

/** Waits for load1 < max while the budget lasts; returns the load it started with and whether it was quiet. */
export async function waitQuiet(max = QUIET_LOAD, log = console.log): Promise<{ load: number; quiet: boolean }> {
  let l = load1()
  while (l >= max && budgetMs > 0) {
    budgetMs -= QUIET_POLL_MS
    log(`  machine load ${l} >= ${max}; waiting (polling every ${QUIET_POLL_MS / 1000} s)`)
    await new Promise((r) => setTimeout(r, QUIET_POLL_MS))
    l = load1()
  }
  return { load: l, quiet: l < max }
}
