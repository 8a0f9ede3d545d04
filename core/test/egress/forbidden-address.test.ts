import t from 'tap'
import { isForbiddenAddress } from '../../src/egress/forbidden-address.ts'

t.test('refuses every non-public address family', async (t) => {
  const forbidden = [
    '127.0.0.1', '127.255.255.254', '10.0.0.1', '172.16.5.4', '192.168.1.1', '100.64.0.1', // loopback, RFC 1918, CGNAT
    '169.254.169.254', '169.254.1.1', '0.0.0.0', '255.255.255.255', '224.0.0.1', '240.0.0.1', // metadata, link-local, unspecified, broadcast, multicast, reserved
    '192.0.2.10', '198.18.0.1', '192.0.0.8', // documentation, benchmarking, IETF protocol assignments
    '::1', '::', 'fe80::1', 'fc00::1', 'fd00:ec2::254', 'ff02::1', 'fec0::1', // IPv6 loopback, unspecified, link-local, ULA, AWS metadata, multicast, site-local
    '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:10.0.0.1', '::ffff:169.254.169.254', // IPv4-mapped
    '64:ff9b::7f00:1', '2002:7f00:1::', '2001:db8::1', '::127.0.0.1', // NAT64, 6to4, documentation, IPv4-compatible
    'not-an-ip', '', '[::1]',
  ]
  for (const ip of forbidden) t.equal(isForbiddenAddress(ip, []), true, `${ip} is forbidden`)
})

t.test('allows public unicast addresses', async (t) => {
  for (const ip of ['93.184.216.34', '8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '::ffff:8.8.8.8']) {
    t.equal(isForbiddenAddress(ip, []), false, `${ip} is allowed`)
  }
})

t.test('allowCidrs open exactly their range, including the IPv4-mapped spelling', async (t) => {
  const allow = ['127.0.0.0/8', '10.20.0.0/16', 'fd12:3456::/32']
  t.equal(isForbiddenAddress('127.0.0.1', allow), false)
  t.equal(isForbiddenAddress('::ffff:127.0.0.1', allow), false)
  t.equal(isForbiddenAddress('10.20.3.4', allow), false)
  t.equal(isForbiddenAddress('10.21.0.1', allow), true, 'outside the allowed /16')
  t.equal(isForbiddenAddress('fd12:3456::9', allow), false)
  t.equal(isForbiddenAddress('::1', allow), true, 'IPv6 loopback is not inside an IPv4 range')
  t.equal(isForbiddenAddress('169.254.169.254', allow), true)
})

t.test('a malformed allowCidrs entry is a configuration error', async (t) => {
  t.throws(() => isForbiddenAddress('8.8.8.8', ['10.0.0.0']), /allowCidrs: "10.0.0.0" is not a CIDR/)
})
