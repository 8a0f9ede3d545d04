/**
 * A module next to this one, to run as a process: `.ts` in the repository (Node strips
 * the types), `.js` in the published package (built by scripts/pack-package.ts). Imports
 * are rewritten by the build; a path handed to spawn or fork is not, hence this.
 */
export function siblingModule(relative: string, importMetaUrl: string): URL {
  const ext = importMetaUrl.endsWith('.ts') ? '.ts' : '.js'
  return new URL(`${relative}${ext}`, importMetaUrl)
}
