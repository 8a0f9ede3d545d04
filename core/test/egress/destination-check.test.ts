// Saving a subscription warns about each config URL the SSRF guard will refuse at
// delivery time, by the same rule and allow-list; public and unresolvable hosts are not
// warned about.
import t from 'tap'
import { refusedDestinations } from '../../src/egress/destination-check.ts'
import type { Resolver } from '../../src/egress/guarded-lookup.ts'

const names: Record<string, string[]> = {
  'internal.example': ['10.1.2.3'],
  'mixed.example': ['93.184.216.34', '192.168.1.9'],
  'public.example': ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'],
}
const resolver: Resolver = async (host) => {
  const found = names[host]
  if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' })
  return found.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }))
}

t.test('refused destinations are named with the field and the address', async (t) => {
  const w = await refusedDestinations({ url: 'http://127.0.0.1:9000/hook' }, [], resolver)
  t.equal(w.length, 1)
  t.match(w[0], /^config\.url: 127\.0\.0\.1 is a private, loopback/)
  t.match(w[0], /RELAY_EGRESS_ALLOW=127\.0\.0\.0\/8/)
  for (const url of ['http://[::1]/x', 'https://169.254.169.254/latest/meta-data', 'http://[::ffff:10.0.0.1]/', 'http://internal.example/x', 'https://mixed.example/y', 'http://0.0.0.0:80/', 'HTTP://10.0.0.1/']) {
    t.equal((await refusedDestinations({ url }, [], resolver)).length, 1, url)
  }
})

t.test('a name says what it resolves to', async (t) => {
  t.match((await refusedDestinations({ url: 'http://internal.example/x' }, [], resolver))[0], /^config\.url: internal\.example resolves to 10\.1\.2\.3, a private/)
  t.match((await refusedDestinations({ url: 'http://[::1]:8080/x' }, [], resolver))[0], /^config\.url: ::1 is a private/)
})

t.test('nested fields are looked at; public, unresolvable and non-URL values are not warned about', async (t) => {
  const w = await refusedDestinations({ target: { primary: 'http://10.9.9.9/a', backup: 'https://public.example/b' }, name: 'http://not a url', count: 3 }, [], resolver)
  t.same(w.map((x) => x.split(':')[0]), ['config.target.primary'])
  t.same(await refusedDestinations({ url: 'https://public.example/hook' }, [], resolver), [])
  t.same(await refusedDestinations({ url: 'https://nowhere.invalid/hook' }, [], resolver), [], 'a name that does not resolve here may resolve where the worker runs')
  t.same(await refusedDestinations({ url: 'ftp://10.0.0.1/x', note: '10.0.0.1' }, [], resolver), [], 'only http(s) URLs')
})

t.test('RELAY_EGRESS_ALLOW opens exactly what the delivery client opens', async (t) => {
  t.same(await refusedDestinations({ url: 'http://127.0.0.1:9000/hook' }, ['127.0.0.0/8'], resolver), [])
  t.equal((await refusedDestinations({ url: 'http://10.1.2.3/' }, ['127.0.0.0/8'], resolver)).length, 1)
  t.same(await refusedDestinations({ url: 'http://internal.example/' }, ['10.0.0.0/8'], resolver), [])
})
