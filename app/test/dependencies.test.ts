// Every package declares what it imports and imports what it declares (knip, configured
// in knip.json): no unused dependency, none used without being listed. The built-in
// plugins the app and the tests load by name (RELAY_PLUGINS, not import) and the static
// assets the UI serves from node_modules are listed there as deliberate.
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import t from 'tap'

const REPO = fileURLToPath(new URL('../../', import.meta.url))
const KNIP = fileURLToPath(new URL('../../node_modules/knip/bin/knip.js', import.meta.url))

t.test('no unused or unlisted dependency in any package', async (t) => {
  const r = await promisify(execFile)(process.execPath, [KNIP, '--dependencies', '--no-progress', '--no-config-hints'], { cwd: REPO, env: { ...process.env, NODE_OPTIONS: '' }, maxBuffer: 8 << 20 }).then(
    (x) => ({ code: 0, out: x.stdout }),
    (err: { code?: number; stdout?: string; stderr?: string }) => ({ code: err.code ?? 1, out: `${err.stdout ?? ''}${err.stderr ?? ''}` }),
  )
  t.equal(r.out.trim(), '', 'knip reports nothing')
  t.equal(r.code, 0)
})
