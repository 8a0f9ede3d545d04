// The package boundaries, checked over every TypeScript file in the repository's
// packages (issue 17): a package reaches another only through the other's package name
// and one of the entry points its package.json exports, never by a relative path; the
// core imports neither the UI nor a plugin (the app composes them); the UI imports the
// core only through its public entries. Dynamic import() and re-exports count.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'

const REPO = fileURLToPath(new URL('../../', import.meta.url))
const SKIP = new Set(['node_modules', 'dist', '.tap'])

interface Pkg { dir: string; name: string; exports: string[] }
const packages: Pkg[] = ['sdk', 'core', 'ui', 'app', ...['plugins', 'examples'].flatMap((d) => readdirSync(join(REPO, d)).map((n) => `${d}/${n}`))]
  .filter((dir) => statSync(join(REPO, dir)).isDirectory())
  .map((dir) => {
    const pkg = JSON.parse(readFileSync(join(REPO, dir, 'package.json'), 'utf8')) as { name: string; exports?: Record<string, unknown> }
    return { dir, name: pkg.name, exports: Object.keys(pkg.exports ?? {}) }
  })
const byName = new Map(packages.map((p) => [p.name, p]))
const packageOf = (file: string) => packages.find((p) => file === p.dir || file.startsWith(`${p.dir}/`))

function* tsFiles(dir: string): Generator<string> {
  for (const name of readdirSync(join(REPO, dir))) {
    if (SKIP.has(name)) continue
    const p = join(dir, name)
    if (statSync(join(REPO, p)).isDirectory()) yield* tsFiles(p)
    else if (name.endsWith('.ts')) yield p
  }
}

/** Module specifiers of import/export ... from '…', import('…') and side-effect imports. */
function specifiers(source: string): string[] {
  const out: string[] = []
  for (const m of source.matchAll(/(?:^|[\s;])(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|(?:^|[\s;(=])import\s*\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s*['"]([^'"]+)['"]/gm)) {
    out.push((m[1] ?? m[2] ?? m[3])!)
  }
  return out
}

const files = packages.flatMap((p) => [...tsFiles(p.dir)])
const violations: string[] = []
for (const file of files) {
  const from = packageOf(file)!
  for (const spec of specifiers(readFileSync(join(REPO, file), 'utf8'))) {
    if (spec.startsWith('.')) {
      const target = relative(REPO, resolve(REPO, dirname(file), spec))
      if (packageOf(target) !== from) violations.push(`${file}: relative import "${spec}" leaves ${from.name}`)
      continue
    }
    const m = /^(@webhook-relay\/[^/]+|relay-plugin-[^/]+)(\/.*)?$/.exec(spec)
    if (!m) continue
    const to = byName.get(m[1]!)
    if (!to) continue
    if (to === from) {
      violations.push(`${file}: imports its own package by name ("${spec}"); use a relative path`)
      continue
    }
    const entry = `.${m[2] ?? ''}`
    if (!to.exports.includes(entry)) violations.push(`${file}: "${spec}" is not an entry point ${to.name} exports (${to.exports.join(', ')})`)
    if (from.dir === 'core' && (to.dir === 'ui' || to.dir === 'app' || to.dir.startsWith('plugins/') || to.dir.startsWith('examples/'))) {
      violations.push(`${file}: the core imports ${to.name}; only the app composes plugins and the UI`)
    }
    if (from.dir === 'ui' && (to.dir === 'app' || to.dir.startsWith('plugins/'))) violations.push(`${file}: the UI imports ${to.name}`)
  }
}

t.ok(files.length > 300, `${files.length} files checked`)
t.same(violations, [], 'every import across packages goes through a package name and an exported entry')

t.test('the check itself finds what it forbids', async (t) => {
  t.same(specifiers(`import a from '../../core/src/x.ts'\nexport { b } from "./b.ts"\nconst c = await import('@webhook-relay/ui')\nimport './side.ts'\nimport type { D } from '@webhook-relay/core/admin'`), [
    '../../core/src/x.ts',
    './b.ts',
    '@webhook-relay/ui',
    './side.ts',
    '@webhook-relay/core/admin',
  ])
})

t.test('the core never names a plugin or the UI, even as a string to load', async (t) => {
  const named = [...tsFiles('core/src')].filter((f) => /['"`]@webhook-relay\/(ui|relay|plugin-(?!sdk)[a-z-]+)['"`/]/.test(readFileSync(join(REPO, f), 'utf8')))
  t.same(named, [])
})
