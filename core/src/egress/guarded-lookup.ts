/**
 * The DNS half of the SSRF guard, built as the `lookup` function of every outgoing
 * socket.
 *
 * Checking a name and then letting the socket resolve it again would leave a gap: a DNS
 * server that answers "public" to the check and "127.0.0.1" to the connect (DNS
 * rebinding) wins. Doing the check inside the socket's own lookup closes it: the
 * addresses the socket connects to are exactly the addresses that were checked.
 */
import { promises as dns, type LookupAddress } from 'node:dns'
import type { LookupFunction } from 'node:net'
import { EgressRefusedError } from './errors.ts'
import { isForbidden, type AllowList } from './forbidden-address.ts'

/** Resolves a host name to every address it has; injectable so tests can map names without a DNS server. */
export type Resolver = (hostname: string) => Promise<LookupAddress[]>

export const systemResolver: Resolver = (hostname) => dns.lookup(hostname, { all: true })

/** Resolves and checks; throws EgressRefusedError when any address is forbidden. */
export async function resolveChecked(hostname: string, resolve: Resolver, allow: AllowList): Promise<LookupAddress[]> {
  const addresses = await resolve(hostname)
  // Refuse when ANY address is forbidden, not just the first: Happy Eyeballs may try any of them.
  const bad = addresses.find((a) => isForbidden(a.address, allow))
  if (bad) throw new EgressRefusedError(hostname, bad.address)
  if (addresses.length === 0) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' })
  return addresses
}

function familyNumber(family: number | string | undefined): 0 | 4 | 6 {
  if (family === 4 || family === 'IPv4') return 4
  if (family === 6 || family === 'IPv6') return 6
  return 0
}

export function guardedLookup(resolve: Resolver, allow: AllowList): LookupFunction {
  return (hostname, options, callback) => {
    resolveChecked(hostname, resolve, allow).then(
      (addresses) => {
        const wanted = familyNumber(options.family)
        const usable = wanted === 0 ? addresses : addresses.filter((a) => a.family === wanted)
        if (options.all) return callback(null, usable)
        const first = usable[0]
        if (!first) return callback(Object.assign(new Error(`no IPv${wanted} address for ${hostname}`), { code: 'ENOTFOUND' }), '')
        callback(null, first.address, first.family)
      },
      (err: NodeJS.ErrnoException) => callback(err, ''),
    )
  }
}
