/**
 * Packs a workspace package the way it is published: built to JavaScript and
 * declarations, with `exports` pointing at them. In the repository the package's
 * exports name its .ts sources (Node runs them directly there), which Node refuses to
 * run from node_modules; so the tarball is made from a staging directory holding the
 * build, the README and a package.json whose exports are rewritten, and no scripts.
 * Files under src/ that are not TypeScript (the core's Lua scripts) are copied into
 * dist/ beside the modules that read them, and the other entries of "files" (the core's
 * sql/) are copied as they are.
 *
 *   node scripts/pack-package.ts <package dir> [destination dir]   # prints the tarball's path
 *
 * Publish the tarball it prints: `npm publish <tarball>`.
 */
import { execFileSync } from 'node:child_process'
import { copyFileSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
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
    if (typeof target !== 'string') throw new Error(`export "${key}" is not a ./src/*.ts file: ${JSON.stringify(target)}`)
    const base = builtPath(`export "${key}"`, target).replace(/\.js$/, '')
    out[key] = { types: `${base}.d.ts`, default: `${base}.js` }
  }
  return out
}

/** './src/bin/relay.ts' → './dist/bin/relay.js' */
function builtPath(key: string, target: string): string {
  if (!/^\.\/src\/.+\.ts$/.test(target)) throw new Error(`"${key}" is not a ./src/*.ts file: ${target}`)
  return target.replace(/^\.\/src\//, './dist/').replace(/\.ts$/, '.js')
}

export function packPackage(dir: string, destination: string): string {
  const pkgDir = resolve(dir)
  const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as Record<string, unknown>
  const stage = mkdtempSync(join(tmpdir(), 'relay-pack-'))
  try {
    // Without NODE_OPTIONS: a test runner's loader there would be inherited by tsc and npm.
    const env = { ...process.env, NODE_OPTIONS: '' }
    execFileSync(process.execPath, [TSC, '-p', join(pkgDir, 'tsconfig.build.json'), '--outDir', join(stage, 'dist')], { stdio: 'inherit', env })
    cpSync(join(pkgDir, 'src'), join(stage, 'dist'), { recursive: true, filter: (f) => !f.endsWith('.ts') })
    if (existsSync(join(pkgDir, 'README.md'))) copyFileSync(join(pkgDir, 'README.md'), join(stage, 'README.md'))
    const files = (pkg.files as string[] | undefined)?.filter((f) => !['src', 'dist', 'README.md'].includes(f))
    for (const f of files ?? []) cpSync(join(pkgDir, f), join(stage, f), { recursive: true })
    const { scripts: _scripts, devDependencies: _dev, ...rest } = pkg
    const bin = pkg.bin as Record<string, string> | undefined
    const published = {
      ...rest,
      ...(bin ? { bin: Object.fromEntries(Object.entries(bin).map(([name, target]) => [name, builtPath(name, target)])) } : {}),
      ...(files ? { files: ['dist', ...files, 'README.md'] } : {}),
      exports: publishedExports(pkg.exports as Exports),
    }
    writeFileSync(join(stage, 'package.json'), `${JSON.stringify(published, null, 2)}\n`)
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
