/**
 * vegeta JSON targets (`vegeta attack -format=json`): one object per line,
 * `{method, url, header: {name: [values]}, body: <base64>}`. Every target is a fresh
 * event with its own delivery id, so nothing is deduplicated as a retry, and is signed
 * when the source verifies signatures.
 */
import { createWriteStream } from 'node:fs'
import { once } from 'node:events'
import { githubPush } from './payloads/github.ts'
import { SIZES, type SizeName } from './payloads/fill.ts'
import { slackEvent } from './payloads/slack.ts'
import { stripeEvent } from './payloads/stripe.ts'
import { signatureHeaders, type Provider } from './sign.ts'

export interface VegetaTarget {
  method: 'POST'
  url: string
  header: Record<string, string[]>
  body: string
}

/** How much of each payload size a mixed stream carries: most webhooks are small. */
export const DEFAULT_SIZE_MIX: Readonly<Record<SizeName, number>> = { '1k': 0.9, '10k': 0.09, '100k': 0.01 }

export interface TargetSpec {
  provider: Provider
  /** Ingest URL of the source, e.g. http://127.0.0.1:8080/in/github */
  url: string
  /** The source's verification secret; unsigned when absent. */
  secret?: string
  /** One size, or a mix (weights summing to about 1). */
  size: SizeName | Readonly<Partial<Record<SizeName, number>>>
}

const GENERATORS = { github: githubPush, stripe: stripeEvent, slack: slackEvent } as const

/**
 * Returns a picker of sizes that follows the mix in every prefix of the stream (the size
 * whose count lags its share most goes next), so a short run carries the same mix as a long one.
 */
export function sizePicker(size: TargetSpec['size']): () => SizeName {
  if (typeof size === 'string') return () => size
  const entries = Object.entries(size) as [SizeName, number][]
  const counts = new Map<SizeName, number>()
  let n = 0
  return () => {
    n++
    let best = entries[0]![0]
    let lag = -Infinity
    for (const [name, w] of entries) {
      const l = w * n - (counts.get(name) ?? 0)
      if (l > lag) [best, lag] = [name, l]
    }
    counts.set(best, (counts.get(best) ?? 0) + 1)
    return best
  }
}

export function makeTarget(spec: TargetSpec, size: SizeName, nowSec = Math.floor(Date.now() / 1000)): VegetaTarget {
  const { body, headers } = GENERATORS[spec.provider](SIZES[size])
  const raw = Buffer.from(JSON.stringify(body))
  const all = spec.secret ? { ...headers, ...signatureHeaders(spec.provider, spec.secret, raw, nowSec) } : headers
  return {
    method: 'POST',
    url: spec.url,
    header: Object.fromEntries(Object.entries(all).map(([k, v]) => [k, [v]])),
    body: raw.toString('base64'),
  }
}

/** Writes `count` targets as NDJSON to `file`, in rotation over `specs`. Returns total body bytes. */
export async function writeTargets(file: string, specs: readonly TargetSpec[], count: number): Promise<{ count: number; bodyBytes: number }> {
  const out = createWriteStream(file)
  const nowSec = Math.floor(Date.now() / 1000)
  const pickers = specs.map((s) => sizePicker(s.size))
  let bodyBytes = 0
  for (let i = 0; i < count; i++) {
    const k = i % specs.length
    const t = makeTarget(specs[k]!, pickers[k]!(), nowSec)
    bodyBytes += Buffer.byteLength(t.body, 'base64')
    if (!out.write(`${JSON.stringify(t)}\n`)) await once(out, 'drain')
  }
  out.end()
  await once(out, 'finish')
  return { count, bodyBytes }
}
