/**
 * A tiny YAML writer for rule files: maps, lists and strings only. Single-line strings
 * are single-quoted when they hold double quotes, else JSON strings (valid YAML
 * double-quoted scalars); multi-line ones are literal blocks so PromQL stays readable.
 */

export type Value = string | number | boolean | Value[] | { [key: string]: Value }

const INDENT = '  '

function scalar(value: string | number | boolean, pad: string): string {
  if (typeof value !== 'string') return String(value)
  if (!value.includes('\n')) {
    // Single quotes keep PromQL's double-quoted matchers unescaped.
    return value.includes('"') && !value.includes("'") ? `'${value}'` : JSON.stringify(value)
  }
  return `|-\n${value.split('\n').map((line) => pad + INDENT + line).join('\n')}`
}

function write(value: Value, pad: string): string[] {
  if (Array.isArray(value)) {
    return value.flatMap((item) => {
      const lines = write(item, pad + INDENT)
      if (typeof item === 'object') {
        const first = lines[0] ?? ''
        return [`${pad}- ${first.slice(pad.length + INDENT.length)}`, ...lines.slice(1)]
      }
      return [`${pad}- ${scalar(item, pad)}`]
    })
  }
  if (typeof value === 'object') {
    return Object.entries(value).flatMap(([key, v]) => {
      if (typeof v === 'object') return [`${pad}${key}:`, ...write(v, pad + INDENT)]
      return [`${pad}${key}: ${scalar(v, pad)}`]
    })
  }
  return [pad + scalar(value, pad)]
}

export function toYaml(value: Value, header = ''): string {
  return header + write(value, '').join('\n') + '\n'
}
