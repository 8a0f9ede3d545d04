/**
 * Tools some tests drive that `npm test` cannot assume on a fresh machine: Chromium (the
 * admin UI in a real browser), Prometheus (every dashboard and alert query), vegeta (the
 * load-test smoke runs). scripts/test.ts runs scripts/ensure-<tool>.sh for each before
 * the tests, which install them from Debian or the Go module proxy when missing; a test
 * file then asks here, before it creates anything it would have to clean up.
 *
 * Found: the tool's path. Missing: under CI=true the file fails, because CI must run
 * every test; anywhere else the file is skipped with a loud notice naming the script
 * that installs the tool.
 */
import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'
import t from 'tap'

export interface ExternalTool {
  /** Command name, looked up on PATH. */
  readonly name: string
  /** Where else it may be (a Go bin directory, Debian's path when PATH lacks it). */
  readonly also?: readonly string[]
  /** The project script that installs it. */
  readonly install: string
}

export function findTool(tool: ExternalTool): string | undefined {
  const candidates = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, tool.name)), ...(tool.also ?? [])]
  for (const path of candidates) {
    try {
      accessSync(path, constants.X_OK)
      return path
    } catch {
      // not here
    }
  }
  return undefined
}

/** The tool's path; or, when it is missing, fails the file under CI=true and skips it elsewhere (this call does not return then). */
export function requireTool(tool: ExternalTool): string {
  const path = findTool(tool)
  if (path) return path
  const why = `${tool.name} is not installed: \`bash ${tool.install}\` installs it`
  if (process.env.CI === 'true') {
    t.fail(`${why}; CI=true requires every test to run`)
    t.end()
  } else {
    console.error(`\n!!! SKIPPED ${process.argv[1] ?? 'this test file'}: ${why}\n`)
    t.plan(0, why)
  }
  process.exit(process.env.CI === 'true' ? 1 : 0)
}
