/**
 * Packs a workspace package the way it is published: built to JavaScript and
 * declarations, with `exports` pointing at them. In the repository the package's
 * exports name its .ts sources (Node runs them directly there), which Node refuses to
 * run from node_modules; so the tarball is made from a staging directory holding the
 * build, the README and a package.json whose exports are rewritten, and no scripts.
 *
 *   node scripts/pack-package.ts <package dir> [destination dir]   # prints the tarball's path
 *
 * Publish the tarball it prints: `npm publish <tarball>`.
 */
import { execFileSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const REPO = fileURLToPath(new URL('../', import.meta.url))
const TSC = join(REPO, 'node_modules/typescript/bin/tsc')

type Exports = Record<string, string | Record<string, string>>

/** './src/x.ts' → { types: './dist/x.d.ts', default: './dist/x.js' } */
export function publishedExports(exports: Exports): Exports {
  const out: Exports = {}
  for (const [key, target] of Object.entries(exports)) {
    if (typeof target !== 'string' || !/^\.\/src\/.+\.ts$/.test(target)) throw new Error(`export "${key}" is not a ./src/*.ts file: ${JSON.stringify(target)}`)
    const base = target.replace(/^\.\/src\//, './dist/').replace(/\.ts$/, '')
    out[key] = { types: `${base}.d.ts`, default: `${base}.js` }
  }
  return out
}

export function packPackage(dir: string, destination: string): string {
  const pkgDir = resolve(dir)
  const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as Record<string, unknown>
  const stage = mkdtempSync(join(tmpdir(), 'relay-pack-'))
  try {
    // Without NODE_OPTIONS: a test runner's loader there would be inherited by tsc and npm.
    const env = { ...process.env, NODE_OPTIONS: '' }
    execFileSync(process.execPath, [TSC, '-p', join(pkgDir, 'tsconfig.build.json'), '--outDir', join(stage, 'dist')], { stdio: 'inherit', env })
    if (existsSync(join(pkgDir, 'README.md'))) copyFileSync(join(pkgDir, 'README.md'), join(stage, 'README.md'))
    const { scripts: _scripts, devDependencies: _dev, ...rest } = pkg
    writeFileSync(join(stage, 'package.json'), `${JSON.stringify({ ...rest, exports: publishedExports(pkg.exports as Exports) }, null, 2)}\n`)
    const out = execFileSync('npm', ['pack', '--pack-destination', resolve(destination), '--silent'], { cwd: stage, env, encoding: 'utf8' })
    return join(resolve(destination), out.trim().split('\n').at(-1)!)
  } finally {
    rmSync(stage, { recursive: true, force: true })
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [dir, destination = process.cwd()] = process.argv.slice(2)
  if (!dir) {
    console.error('usage: node scripts/pack-package.ts <package dir> [destination dir]')
    process.exit(64)
  }
  console.log(packPackage(dir, destination))
}
