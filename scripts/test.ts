/**
 * `npm test`: type-check, lint, then every tap test in the workspaces, ending with the
 * plain summary line `N passed, N failed` that CI reads. Each test file creates its own
 * database and Redis key prefix, so tap runs files in parallel (one job per core).
 * Chart tests (chart/tests) need helm and run from scripts/check-chart.sh instead.
 *
 * Tools some tests drive (Chromium, Prometheus, vegeta) are installed first by
 * scripts/ensure-<tool>.sh when missing and possible (Debian packages, the Go module
 * proxy); a test whose tool is still missing is skipped with a loud notice, or fails
 * under CI=true (core/src/testing/external-tool.ts). RELAY_TEST_PROVISION=0 skips the
 * installing. TEST_DATABASE_HOST and TEST_REDIS_URL point the tests at another
 * PostgreSQL and Redis (default postgres://postgres@127.0.0.1:5432, redis://127.0.0.1:6379).
 */
import { spawn } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

const ROOTS = ['core/test', 'sdk/test', 'app/test', 'plugins', 'ui/test', 'examples', 'grafana/test', 'deploy', 'loadtest']
const SKIP_DIRS = new Set(['node_modules', 'fixtures', '.tap'])

function findTests(dir: string, out: string[] = []): string[] {
  if (!existsSync(dir)) return out
  for (const name of readdirSync(dir)) {
    if (SKIP_DIRS.has(name)) continue
    const p = join(dir, name)
    if (statSync(p).isDirectory()) findTests(p, out)
    else if (name.endsWith('.test.ts')) out.push(p)
  }
  return out
}

function run(cmd: string, args: string[], onLine?: (line: string) => void): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', onLine ? 'pipe' : 'inherit', 'inherit'] })
    if (onLine) {
      let buf = ''
      child.stdout!.on('data', (chunk: Buffer) => {
        process.stdout.write(chunk)
        buf += chunk.toString()
        const lines = buf.split('\n')
        buf = lines.pop() ?? ''
        lines.forEach(onLine)
      })
      child.stdout!.on('end', () => buf && onLine(buf))
    }
    child.on('exit', (code) => resolve(code ?? 1))
  })
}

const only = process.argv.slice(2)
const failures: string[] = []
if (only.length === 0) {
  console.log('== typecheck')
  if ((await run('npx', ['tsc', '--noEmit', '-p', 'tsconfig.json'])) !== 0) failures.push('typecheck')
  console.log('== lint')
  if ((await run('npx', ['eslint', '.'])) !== 0) failures.push('lint')
}

const TOOLS = ['chromium', 'prometheus', 'vegeta']
const notProvisioned: string[] = []
if (process.env.RELAY_TEST_PROVISION !== '0') {
  for (const tool of TOOLS) {
    const script = `scripts/ensure-${tool}.sh`
    if (!existsSync(script)) continue
    if ((await run('bash', [script])) !== 0) notProvisioned.push(`${tool} (${script} failed; its tests will skip, or fail under CI=true)`)
  }
}

// tap compiles its plugin set (package.json "tap.plugin": TypeScript handled by Node
// itself, not by tap's loader) on demand; a fresh `npm ci` ships the default set, so
// build it explicitly before running anything.
if ((await run('npx', ['tap', 'build'])) !== 0) failures.push('tap build')

const files = only.length ? only : ROOTS.flatMap((r) => findTests(r)).sort()
console.log(`== tests (${files.length} files)`)
let pass = 0
let fail = 0
const failedFiles: string[] = []
const skippedFiles: string[] = []
const code = await run('npx', ['tap', ...files], (line) => {
  // A failed file at the top level: "not ok 3 - core/test/x.test.ts # time=..."
  const f = /^not ok \d+ - (\S+\.ts)\b/.exec(line)
  if (f) failedFiles.push(f[1]!)
  // A whole file skipped (a tool it needs is missing): "ok 3 - ui/test/x.test.ts # SKIP why"
  const s = /^ok \d+ - (\S+\.ts) # SKIP (.*)$/.exec(line)
  if (s) skippedFiles.push(`${s[1]!}: ${s[2]!}`)
  // tap's closing summary: "# { total: 120, pass: 118, fail: 2 }" (keys optional)
  const m = /^# \{ total: (\d+)(?:, pass: (\d+))?(?:, fail: (\d+))?/.exec(line)
  if (m) {
    pass = Number(m[2] ?? 0)
    fail = Number(m[3] ?? 0)
  }
})
if (code !== 0 && fail === 0) fail = 1
// Named again at the end, where a CI log's tail shows them.
for (const tool of notProvisioned) console.log(`!!! not installed: ${tool}`)
for (const f of skippedFiles) console.log(`!!! SKIPPED ${f}`)
for (const f of failedFiles) console.log(`failed: ${f}`)
// Typecheck and lint count as one check each.
for (const f of failures) {
  console.log(`failed: ${f}`)
  fail++
}
pass += only.length === 0 ? 2 - failures.length : 0
console.log(`${pass} passed, ${fail} failed`)
process.exit(fail === 0 && code === 0 ? 0 : 1)
