// values.yaml documents itself: every key has a comment, and the README's
// values table is the one generated from those comments.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { CHART_DIR } from './render.ts'
import { replaceTable, valueDocs } from './values-table.ts'

t.test('every key in values.yaml has a description comment', async (t) => {
  const docs = valueDocs()
  t.ok(docs.length > 50, `${docs.length} keys`)
  for (const v of docs) t.not(v.description, '', `${v.key} has a comment`)
})

t.test('the README values table is current (node chart/tests/values-table.ts --write)', async (t) => {
  const readme = readFileSync(`${CHART_DIR}README.md`, 'utf8')
  t.equal(replaceTable(readme), readme)
})
