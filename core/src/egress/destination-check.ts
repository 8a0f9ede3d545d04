/**
 * Warnings, when a subscription is saved, for each URL in its config that the SSRF guard
 * will refuse at delivery time (loopback, private, link-local, …). The guard is right to
 * refuse them, but a first delivery that dies on it with nothing said at creation is a
 * trap: a receiver on 127.0.0.1 is the first thing anyone tries. The same rule
 * (forbidden-address.ts) and the same allow-list as the delivery client are used, so a
 * warning here means the delivery will be refused, and no warning means it will not be
 * refused for its address.
 *
 * The check runs where the subscription is saved, against this process's
 * RELAY_EGRESS_ALLOW; the worker's is meant to be the same. A host that does not resolve
 * here is not warned about: DNS may answer differently where the worker runs.
 */
import { isIP } from 'node:net'
import { compileAllowList, isForbidden } from './forbidden-address.ts'
import { systemResolver, type Resolver } from './guarded-lookup.ts'

const RESOLVE_TIMEOUT_MS = 2000
/** Config nesting searched for URLs; plugin configs are flat or one level deep. */
const MAX_DEPTH = 4

/** The http(s) URLs anywhere in `config`, with the field path they were found at. */
function urlsIn(value: unknown, path: string, depth: number, out: { path: string; url: URL }[]): void {
  if (typeof value === 'string') {
    if (!/^https?:\/\//i.test(value)) return
    try {
      out.push({ path, url: new URL(value) })
    } catch {
      // not a URL: the plugin's schema judges it
    }
  } else if (value !== null && typeof value === 'object' && depth < MAX_DEPTH) {
    for (const [k, v] of Object.entries(value)) urlsIn(v, path ? `${path}.${k}` : k, depth + 1, out)
  }
}

async function addressesOf(hostname: string, resolve: Resolver): Promise<string[]> {
  const host = hostname.replace(/^\[|\]$/g, '')
  if (isIP(host)) return [host]
  let timer: NodeJS.Timeout | undefined
  try {
    const found = await Promise.race([
      resolve(host),
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), RESOLVE_TIMEOUT_MS))),
    ])
    return found.map((a) => a.address)
  } catch {
    return []
  } finally {
    clearTimeout(timer)
  }
}

/** One sentence per URL in `config` that deliveries will be refused to. */
export async function refusedDestinations(config: unknown, allowCidrs: readonly string[], resolve: Resolver = systemResolver): Promise<string[]> {
  const found: { path: string; url: URL }[] = []
  urlsIn(config, '', 0, found)
  const allow = compileAllowList(allowCidrs)
  const warnings: string[] = []
  for (const { path, url } of found) {
    const refused = (await addressesOf(url.hostname, resolve)).find((a) => isForbidden(a, allow))
    if (refused === undefined) continue
    const host = url.hostname.replace(/^\[|\]$/g, '')
    const what = isIP(host) ? `${host} is` : `${host} resolves to ${refused},`
    warnings.push(
      `config.${path}: ${what} a private, loopback, link-local or reserved address, which deliveries are refused to ` +
        `(the SSRF guard); allow it with RELAY_EGRESS_ALLOW (for example RELAY_EGRESS_ALLOW=${suggestion(refused)}) on the workers, or deliveries to it will fail`,
    )
  }
  return warnings
}

function suggestion(address: string): string {
  if (address.startsWith('127.')) return '127.0.0.0/8'
  if (address === '::1') return '::1/128'
  return isIP(address) === 6 ? `${address}/128` : `${address}/32`
}
