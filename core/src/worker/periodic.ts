/**
 * A worker's periodic task: `run` every `intervalMs`, never two at once (a tick while one
 * runs is skipped), a failure logged and left to the next tick. The timer does not keep
 * the process alive.
 */
import type { Logger } from 'pino'

export function every(intervalMs: number, what: string, log: Logger, run: () => Promise<unknown>): { stop(): void; tick(): Promise<void> } {
  let busy = false
  const tick = async () => {
    if (busy) return
    busy = true
    try {
      await run()
    } catch (err) {
      log.warn({ err: (err as Error).message }, `${what} failed`)
    } finally {
      busy = false
    }
  }
  const timer = setInterval(() => void tick(), intervalMs)
  timer.unref()
  return { stop: () => clearInterval(timer), tick }
}
