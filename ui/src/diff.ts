/**
 * A line diff for the script version history (longest common subsequence). Scripts are
 * small, but the table is quadratic, so past MAX_CELLS the middle is shown as replaced.
 */
export const MAX_CELLS = 4_000_000

export interface DiffLine {
  readonly op: ' ' | '+' | '-'
  readonly text: string
  readonly oldNo: number | null
  readonly newNo: number | null
}

export function diffLines(before: string, after: string): DiffLine[] {
  const a = before.split('\n')
  const b = after.split('\n')
  // Common head and tail cost nothing and shrink the table.
  let head = 0
  while (head < a.length && head < b.length && a[head] === b[head]) head++
  let tail = 0
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++
  const x = a.slice(head, a.length - tail)
  const y = b.slice(head, b.length - tail)
  const out: DiffLine[] = []
  for (let i = 0; i < head; i++) out.push({ op: ' ', text: a[i]!, oldNo: i + 1, newNo: i + 1 })
  const middle: DiffLine[] = []
  if ((x.length + 1) * (y.length + 1) > MAX_CELLS) {
    x.forEach((t, i) => middle.push({ op: '-', text: t, oldNo: head + i + 1, newNo: null }))
    y.forEach((t, j) => middle.push({ op: '+', text: t, oldNo: null, newNo: head + j + 1 }))
  } else {
    const w = y.length + 1
    const lcs = new Uint32Array((x.length + 1) * w)
    for (let i = x.length - 1; i >= 0; i--) {
      for (let j = y.length - 1; j >= 0; j--) {
        lcs[i * w + j] = x[i] === y[j] ? lcs[(i + 1) * w + j + 1]! + 1 : Math.max(lcs[(i + 1) * w + j]!, lcs[i * w + j + 1]!)
      }
    }
    let i = 0
    let j = 0
    while (i < x.length || j < y.length) {
      if (i < x.length && j < y.length && x[i] === y[j]) {
        middle.push({ op: ' ', text: x[i]!, oldNo: head + i + 1, newNo: head + j + 1 })
        i++
        j++
      } else if (j < y.length && (i >= x.length || lcs[i * w + j + 1]! >= lcs[(i + 1) * w + j]!)) {
        middle.push({ op: '+', text: y[j]!, oldNo: null, newNo: head + j + 1 })
        j++
      } else {
        middle.push({ op: '-', text: x[i]!, oldNo: head + i + 1, newNo: null })
        i++
      }
    }
  }
  out.push(...middle)
  for (let k = tail; k > 0; k--) {
    out.push({ op: ' ', text: a[a.length - k]!, oldNo: a.length - k + 1, newNo: b.length - k + 1 })
  }
  return out
}
