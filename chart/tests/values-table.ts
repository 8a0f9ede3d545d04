// Builds the chart README's values table from the comments in values.yaml,
// which therefore stay the one place a value is described.
//   node chart/tests/values-table.ts          print the table
//   node chart/tests/values-table.ts --write  replace it in chart/webhook-relay/README.md
import { readFileSync, writeFileSync } from 'node:fs'
import { isMap, isScalar, parseDocument, type YAMLMap } from 'yaml'
import { CHART_DIR } from './render.ts'

export const BEGIN = '<!-- values-table:begin -->'
export const END = '<!-- values-table:end -->'

export interface ValueDoc { key: string, description: string, default: string }

function describe (comment: string | null | undefined): string {
  // The last "-- " comment line(s) above a key describe it; earlier lines are section prose.
  const text = (comment ?? '').split('\n').map((l) => l.trim())
  const start = text.findLastIndex((l) => l.startsWith('-- '))
  return start === -1 ? '' : text.slice(start).join(' ').replace(/^-- /, '').trim()
}

function walk (map: YAMLMap, prefix: string, out: ValueDoc[]): void {
  map.items.forEach((pair, index) => {
    const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key)
    // yaml attaches the comment above the first key of a map to the map itself.
    const comment = (isScalar(pair.key) ? pair.key.commentBefore : undefined) ??
      (index === 0 ? map.commentBefore : undefined)
    const path = prefix === '' ? key : `${prefix}.${key}`
    const value = pair.value
    const nested = isMap(value) && value.items.length > 0
    out.push({ key: path, description: describe(comment), default: nested ? '' : JSON.stringify(isScalar(value) ? value.value : (value as { toJSON(): unknown } | null)?.toJSON() ?? null) })
    if (nested) walk(value, path, out)
  })
}

export function valueDocs (): ValueDoc[] {
  const doc = parseDocument(readFileSync(`${CHART_DIR}values.yaml`, 'utf8'))
  if (!isMap(doc.contents)) throw new Error('values.yaml is not a map')
  const out: ValueDoc[] = []
  walk(doc.contents, '', out)
  return out
}

export function table (): string {
  const escape = (s: string): string => s.replace(/\|/g, '\\|')
  const rows = valueDocs().map((v) => `| \`${v.key}\` | ${escape(v.description)} | ${v.default === '' ? '' : `\`${escape(v.default)}\``} |`)
  return [BEGIN, '| Key | Description | Default |', '| --- | --- | --- |', ...rows, END].join('\n')
}

export function replaceTable (readme: string): string {
  const from = readme.indexOf(BEGIN)
  const to = readme.indexOf(END)
  if (from === -1 || to === -1) throw new Error(`README lacks ${BEGIN} ... ${END}`)
  return readme.slice(0, from) + table() + readme.slice(to + END.length)
}

if (import.meta.main) {
  if (process.argv.includes('--write')) {
    const path = `${CHART_DIR}README.md`
    writeFileSync(path, replaceTable(readFileSync(path, 'utf8')))
  } else {
    console.log(table())
  }
}
