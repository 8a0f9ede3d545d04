/**
 * `node loadtest/gen-targets.ts --url URL --provider github|stripe|slack [--secret S]
 *   [--size 1k|10k|100k|mix] [--count N] [--out FILE] [--configmap NAME]`
 *
 * Writes vegeta JSON targets (one per line) to FILE, or to stdout. With --configmap,
 * wraps them in a Kubernetes ConfigMap (key targets.ndjson) for loadtest/k8s/job.yaml;
 * a ConfigMap holds at most 1 MiB, so keep --count × size under ~900 KB.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { SIZES, type SizeName } from './src/payloads/fill.ts'
import { PROVIDERS, type Provider } from './src/sign.ts'
import { DEFAULT_SIZE_MIX, writeTargets } from './src/targets.ts'

/** Below the API server's 1 MiB object limit, leaving room for metadata. */
const CONFIGMAP_MAX_BYTES = 1_000_000

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    provider: { type: 'string', default: 'github' },
    secret: { type: 'string' },
    size: { type: 'string', default: '1k' },
    count: { type: 'string', default: '1000' },
    out: { type: 'string' },
    configmap: { type: 'string' },
  },
})
const provider = values.provider as Provider
if (!values.url || !PROVIDERS.includes(provider) || (values.size !== 'mix' && !(values.size in SIZES))) {
  console.error('usage: gen-targets.ts --url URL --provider github|stripe|slack [--secret S] [--size 1k|10k|100k|mix] [--count N] [--out FILE] [--configmap NAME]')
  process.exit(2)
}
const size = values.size === 'mix' ? DEFAULT_SIZE_MIX : (values.size as SizeName)
const tmp = join(tmpdir(), `targets-${process.pid}.ndjson`)
await writeTargets(tmp, [{ provider, url: values.url, secret: values.secret, size }], Number(values.count))
let text = readFileSync(tmp, 'utf8')
rmSync(tmp)
if (values.configmap) {
  if (text.length > CONFIGMAP_MAX_BYTES) {
    console.error(`${text.length} bytes of targets do not fit a ConfigMap (${CONFIGMAP_MAX_BYTES}); lower --count or --size`)
    process.exit(1)
  }
  // A block scalar keeps each target on its own line; targets are JSON, so no line needs escaping.
  const body = text.trimEnd().split('\n').map((l) => `    ${l}`).join('\n')
  text = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${values.configmap}\n  labels:\n    app.kubernetes.io/name: webhook-relay-loadtest\ndata:\n  targets.ndjson: |\n${body}\n`
}
if (values.out) writeFileSync(values.out, text)
else process.stdout.write(text)
