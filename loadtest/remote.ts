/**
 * `node loadtest/remote.ts --url URL [options]`: the load test against a relay that is
 * already running (local `npm start`, staging, a cluster through its ingress or
 * `kubectl port-forward`). See loadtest/src/remote-run.ts and docs/load-testing.md.
 *
 *   --url URL              the relay's base URL (required)
 *   --token T              admin token (default: $RELAY_ADMIN_TOKEN)
 *   --rate N --seconds N   constant rate (default 100/s for 10 s)
 *   --ramp                 0.25, 0.5, 1, 1.5, 2 x --rate instead, each --seconds/3
 *   --mode record|active   record (default) stores only; active relays to --subscriber-url
 *   --subscriber-url URL   the receiver an active run delivers to (must be reachable from the relay)
 *   --keep                 keep the test sources and their events
 *   --out DIR              results directory (default loadtest/results/remote-<time>)
 */
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { formatRemote, runRemote } from './src/remote-run.ts'
import { requireVegeta } from './src/vegeta.ts'

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    token: { type: 'string' },
    rate: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '10' },
    ramp: { type: 'boolean', default: false },
    mode: { type: 'string', default: 'record' },
    'subscriber-url': { type: 'string' },
    keep: { type: 'boolean', default: false },
    out: { type: 'string' },
  },
})
const token = values.token ?? process.env.RELAY_ADMIN_TOKEN
if (!values.url || !token) {
  console.error('usage: node loadtest/remote.ts --url https://relay.example.com [--token T | RELAY_ADMIN_TOKEN=T] [--rate N --seconds N | --ramp] [--mode record|active --subscriber-url URL] [--keep] [--out DIR]')
  process.exit(2)
}
if (values.mode !== 'record' && values.mode !== 'active') {
  console.error(`--mode is record or active, not ${values.mode}`)
  process.exit(2)
}
const rate = Number(values.rate)
const seconds = Number(values.seconds)
const steps = values.ramp
  ? [0.25, 0.5, 1, 1.5, 2].map((f) => ({ rate: Math.max(1, Math.round(rate * f)), seconds: Math.max(2, Math.round(seconds / 3)) }))
  : [{ rate, seconds }]
const out = values.out ?? join('loadtest', 'results', `remote-${new Date().toISOString().replace(/[:.]/g, '-')}`)
const summary = await runRemote(requireVegeta(), { url: values.url, token, steps, mode: values.mode, subscriberUrl: values['subscriber-url'], keep: values.keep }, out)
console.log(formatRemote(summary))
process.exit(summary.lost === 0 ? 0 : 1)
