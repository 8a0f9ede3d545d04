// Static rules for the Dockerfile and .dockerignore. No Docker engine runs on
// the development machines and hadolint is not packaged for them, so this test
// parses the Dockerfile itself and asserts the rules the image promises:
// pinned base, two stages, non-root numeric user, tini as PID 1, production
// dependencies only, OCI labels, and a build context that is an allow-list.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const DOCKERFILE = readFileSync(`${ROOT}Dockerfile`, 'utf8')
const DOCKERIGNORE = readFileSync(`${ROOT}.dockerignore`, 'utf8')
const PACKAGE = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as {
  engines: { node: string }
  scripts: Record<string, string>
}

const REQUIRED_OCI_LABELS = ['title', 'description', 'licenses', 'version', 'revision', 'created']
// node:<major>.<minor>.<patch>-<debian release>-slim: an exact release, never a floating tag.
const PINNED_NODE_BASE = /^node:(\d+)\.\d+\.\d+-(bookworm|trixie)-slim(@sha256:[a-f0-9]{64})?$/
const TINI = '/usr/bin/tini'

interface Instruction { keyword: string, args: string, line: number }
interface Stage { from: string, name: string | undefined, instructions: Instruction[] }

// Joins backslash continuations and drops comment lines, like the Docker
// frontend does, so each instruction is one string.
function parseDockerfile (text: string): Instruction[] {
  const out: Instruction[] = []
  let pending = ''
  let startLine = 0
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim()
    if (pending === '' && (line === '' || line.startsWith('#'))) return
    if (pending !== '' && line.startsWith('#')) return
    if (pending === '') startLine = index + 1
    if (line.endsWith('\\')) {
      pending += line.slice(0, -1) + ' '
      return
    }
    const full = (pending + line).trim()
    pending = ''
    const match = /^(\S+)\s+(.*)$/s.exec(full)
    if (match === null) throw new Error(`Dockerfile line ${startLine}: cannot parse "${full}"`)
    out.push({ keyword: match[1]!.toUpperCase(), args: match[2]!.replace(/\s+/g, ' '), line: startLine })
  })
  return out
}

function splitStages (instructions: Instruction[]): Stage[] {
  const stages: Stage[] = []
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const [from, as, name] = instruction.args.split(' ')
      stages.push({ from: from!, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] })
    } else if (stages.length > 0) {
      stages.at(-1)!.instructions.push(instruction)
    }
  }
  return stages
}

function execForm (args: string): string[] {
  const parsed: unknown = JSON.parse(args)
  if (!Array.isArray(parsed) || !parsed.every((part) => typeof part === 'string')) {
    throw new Error(`not an exec-form array: ${args}`)
  }
  return parsed
}

const instructions = parseDockerfile(DOCKERFILE)
const stages = splitStages(instructions)
const runtime = stages.at(-1)!
const runtimeOf = (keyword: string): Instruction[] => runtime.instructions.filter((i) => i.keyword === keyword)

t.test('every stage starts from an exactly pinned Node slim image matching engines.node', async (t) => {
  const engineMajor = /(\d+)/.exec(PACKAGE.engines.node)?.[1]
  for (const stage of stages) {
    const match = PINNED_NODE_BASE.exec(stage.from)
    t.ok(match, `${stage.from} is pinned to an exact Node release`)
    t.equal(match?.[1], engineMajor, `${stage.from} has the major version package.json requires`)
  }
  t.notMatch(DOCKERFILE, /:latest\b/, 'no :latest tag anywhere')
})

t.test('multi-stage: build tools stay out of the runtime stage', async (t) => {
  t.ok(stages.length >= 2, 'at least two stages')
  const copiesFromBuild = runtimeOf('COPY').filter((i) => /--from=\S+/.test(i.args))
  t.ok(copiesFromBuild.length > 0, 'runtime copies its files from an earlier stage')
  for (const run of runtimeOf('RUN')) {
    t.notMatch(run.args, /apt-get install|npm (ci|install)|g\+\+|\bmake\b/, `runtime RUN at line ${run.line} installs nothing`)
  }
})

t.test('production dependencies only, installed from the lock file', async (t) => {
  const runs = instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args)
  t.ok(runs.some((run) => /npm ci\b.*--omit=dev/.test(run)), 'npm ci --omit=dev')
  t.notOk(runs.some((run) => /npm (install|i)\b/.test(run)), 'never npm install (it may rewrite the lock)')
  for (const run of runs.filter((r) => r.includes('apt-get install'))) {
    t.match(run, /--no-install-recommends/, 'apt-get installs without recommends')
    t.match(run, /rm -rf \/var\/lib\/apt\/lists/, 'apt lists removed in the same layer')
  }
  t.notOk(instructions.some((i) => i.keyword === 'ADD'), 'COPY only, no ADD (no remote URLs or auto-extraction)')
})

t.test('runs as a numeric non-root user', async (t) => {
  const user = runtimeOf('USER').at(-1)
  t.ok(user, 'the runtime stage sets USER')
  const match = /^(\d+)(?::(\d+))?$/.exec(user?.args ?? '')
  t.ok(match, 'USER is numeric uid[:gid] so runAsNonRoot can verify it')
  t.not(match?.[1], '0', 'uid is not root')
  t.not(match?.[2], '0', 'gid is not root')
})

t.test('tini is PID 1 and the entry point is the same as npm start', async (t) => {
  const entrypoint = runtimeOf('ENTRYPOINT').at(-1)
  t.ok(entrypoint, 'ENTRYPOINT set')
  const argv = execForm(entrypoint!.args)
  t.same(argv.slice(0, 2), [TINI, '--'], 'tini forwards SIGTERM to node and reaps children')
  t.ok(runtimeOf('COPY').some((i) => i.args.endsWith(` ${TINI}`)), 'tini binary copied into the runtime stage')
  // npm start is `node scripts/preflight.mjs && exec node app/src/bin/relay.ts` (the preflight
  // checks the Node version, which the image pins).
  const startCommand = PACKAGE.scripts['start']!.split('&&').at(-1)!.trim().replace(/^exec /, '').split(' ')
  t.same(argv.slice(2), startCommand, 'node + script path equal the start script')
  t.equal(runtimeOf('CMD').length, 0, 'no CMD: the role comes from RELAY_ROLE, as with npm start')
})

t.test('OCI labels', async (t) => {
  const labels = runtimeOf('LABEL').map((i) => i.args).join(' ')
  for (const label of REQUIRED_OCI_LABELS) {
    t.match(labels, new RegExp(`org\\.opencontainers\\.image\\.${label}=`), `label ${label}`)
  }
})

t.test('.dockerignore is an allow-list that excludes secrets and dev files', async (t) => {
  const rules = DOCKERIGNORE.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'))
  t.equal(rules[0], '*', 'starts by ignoring everything')
  for (const needed of ['!package.json', '!package-lock.json', '!core/', '!plugins/', '!ui/', '!app/']) {
    t.ok(rules.includes(needed), `${needed} is let in`)
  }
  for (const excluded of ['**/node_modules/', '**/.env*', '**/test/']) {
    t.ok(rules.includes(excluded), `${excluded} kept out even inside allowed folders`)
  }
})
