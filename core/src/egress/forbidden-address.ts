/**
 * The SSRF rule: which IP addresses an outgoing request may reach.
 *
 * An allow-list of what is public is safer than a deny-list of what is private: an
 * address is forbidden unless ipaddr.js calls it plain `unicast` (and, for IPv6, it sits
 * in 2000::/3, the only block IANA hands out as global unicast). That covers private,
 * loopback, link-local (where cloud metadata lives: 169.254.169.254), unique-local
 * (fd00:ec2::254), CGNAT, multicast, unspecified, broadcast, reserved and documentation
 * ranges, and the IPv6 forms that embed an IPv4 address (mapped, NAT64, 6to4, Teredo).
 * IPv4-mapped IPv6 addresses are unwrapped and judged as IPv4, so `::ffff:127.0.0.1`
 * and `::ffff:7f00:1` are loopback.
 *
 * An operator can open holes with CIDRs (`allowCidrs`), e.g. a receiver on the cluster
 * network or 127.0.0.0/8 in tests.
 */
import ipaddr from 'ipaddr.js'

type Address = ipaddr.IPv4 | ipaddr.IPv6
export type AllowList = readonly (readonly [Address, number])[]

const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3')

/** Parses CIDRs once. Throws on a malformed entry: that is a configuration error to stop boot with. */
export function compileAllowList(cidrs: readonly string[]): AllowList {
  return cidrs.map((cidr) => {
    try {
      return ipaddr.parseCIDR(cidr)
    } catch {
      throw new Error(`allowCidrs: "${cidr}" is not a CIDR range such as 10.0.0.0/8 or fd00::/8`)
    }
  })
}

/** Unwraps IPv4-mapped IPv6 so one rule judges both spellings of an IPv4 address. */
function normalize(addr: Address): Address {
  return addr instanceof ipaddr.IPv6 && addr.isIPv4MappedAddress() ? addr.toIPv4Address() : addr
}

function parse(ip: string): Address | undefined {
  const bare = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip
  // isValid accepts legacy IPv4 spellings (0x7f.1, 2130706433); so does the WHATWG URL
  // parser, which rewrites them to dotted quads before we ever see them.
  if (!ipaddr.isValid(bare)) return undefined
  return normalize(ipaddr.parse(bare))
}

function isAllowed(addr: Address, allow: AllowList): boolean {
  return allow.some(([range, bits]) => range.kind() === addr.kind() && addr.match(range, bits))
}

function isPublic(addr: Address): boolean {
  if (addr.range() !== 'unicast') return false
  return addr.kind() === 'ipv4' || addr.match(GLOBAL_UNICAST_V6)
}

/** True when `ip` must not be reached. Anything that does not parse as an IP is forbidden. */
export function isForbidden(ip: string, allow: AllowList): boolean {
  const addr = parse(ip)
  if (!addr) return true
  if (isAllowed(addr, allow)) return false
  return !isPublic(addr)
}

/** Convenience form taking CIDR strings; the client uses the compiled form. */
export function isForbiddenAddress(ip: string, allow: readonly string[]): boolean {
  return isForbidden(ip, compileAllowList(allow))
}
