/**
 * Static assets, all served by the relay itself (no CDN: the UI must work in a cluster
 * without internet under a CSP of script-src 'self'): our own files, htmx, and Monaco's
 * prebuilt (AMD) bundle, straight from node_modules. Monaco's worker bundles carry a
 * content hash in their names, so they are looked up once at boot and handed to the
 * editor page, which starts them as same-origin workers instead of Monaco's default
 * blob: workers (which a strict worker-src would refuse).
 */
import { existsSync, readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const UI_DIR = fileURLToPath(new URL('..', import.meta.url))
export const OWN_STATIC_DIR = join(UI_DIR, 'static')

/** The installed package's directory, found the way Node resolves it: up the tree. */
export function packageDir(name: string, from = UI_DIR): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name)
    if (existsSync(join(candidate, 'package.json'))) return candidate
    if (dirname(dir) === dir) throw new Error(`package ${name} is not installed (looked up from ${from})`)
  }
}

export const HTMX_DIR = join(packageDir('htmx.org'), 'dist')
export const MONACO_VS_DIR = join(packageDir('monaco-editor'), 'min', 'vs')

/** Worker labels Monaco asks for, mapped to the hashed bundle in min/vs/assets. */
export function monacoWorkers(urlPrefix: string): Record<string, string> {
  const files = readdirSync(join(MONACO_VS_DIR, 'assets'))
  const find = (stem: string) => {
    const f = files.find((n) => n.startsWith(`${stem}-`) && n.endsWith('.js'))
    if (!f) throw new Error(`monaco-editor: no ${stem} bundle in min/vs/assets`)
    return `${urlPrefix}/assets/${f}`
  }
  return { editor: find('editor.worker'), typescript: find('ts.worker'), json: find('json.worker') }
}
