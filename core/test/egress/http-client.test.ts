import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import { createHttpClient } from '../../src/egress/http-client.ts'
import type { Resolver } from '../../src/egress/guarded-lookup.ts'

type Handler = (req: IncomingMessage, res: ServerResponse) => void

async function startServer(t: Test, handler: Handler): Promise<{ port: number; hits: () => number }> {
  let hits = 0
  const server = createServer((req, res) => {
    hits++
    handler(req, res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    server.closeAllConnections()
    server.close()
  })
  return { port: (server.address() as AddressInfo).port, hits: () => hits }
}

/** A resolver that answers from a fixed map, like a DNS server the test controls. */
function mapResolver(map: Record<string, string[]>): Resolver {
  return async (hostname) => {
    const addresses = map[hostname]
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' })
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }))
  }
}

const ok: Handler = (_req, res) => res.end('ok')

t.test('refuses private destinations before any byte leaves, naming the address', async (t) => {
  const server = await startServer(t, ok)
  const client = createHttpClient({
    allowCidrs: [],
    resolve: mapResolver({ 'rebind.example': ['127.0.0.1'], 'mixed.example': ['93.184.216.34', '10.0.0.5'] }),
  })
  t.teardown(() => client.close())
  const p = server.port
  const cases: [string, RegExp][] = [
    [`http://127.0.0.1:${p}/`, /127\.0\.0\.1 is a private/],
    [`http://localhost:${p}/`, /(127\.0\.0\.1|::1) \(localhost resolves to it\)/],
    [`http://rebind.example:${p}/`, /127\.0\.0\.1 \(rebind\.example resolves to it\)/],
    [`http://mixed.example:${p}/`, /10\.0\.0\.5 \(mixed\.example resolves to it\)/],
    [`http://[::ffff:127.0.0.1]:${p}/`, /::ffff:7f00:1/],
    [`http://[::1]:${p}/`, /::1 is a private/],
    [`http://10.0.0.1/`, /10\.0\.0\.1/],
    [`http://169.254.169.254/latest/meta-data/`, /169\.254\.169\.254/],
    [`http://192.168.1.1/`, /192\.168\.1\.1/],
    [`http://0.0.0.0:${p}/`, /0\.0\.0\.0/],
    [`http://2130706433:${p}/`, /127\.0\.0\.1/], // decimal spelling of 127.0.0.1
    [`https://[fd00:ec2::254]/`, /fd00:ec2::254/],
  ]
  // localhost goes through the system resolver, so check it with a client that uses it.
  const system = createHttpClient({ allowCidrs: [] })
  t.teardown(() => system.close())
  for (const [url, message] of cases) {
    const c = url.includes('localhost') ? system : client
    await t.rejects(c.request({ url }), { code: 'RELAY_ERR_EGRESS_REFUSED', message }, url)
  }
  t.equal(server.hits(), 0, 'the local server never saw a request')
})

t.test('refuses URLs that are not http or https', async (t) => {
  const client = createHttpClient({ allowCidrs: [] })
  t.teardown(() => client.close())
  for (const url of ['ftp://example.com/', 'file:///etc/passwd', 'not a url', 'http://user:pw@example.com/']) {
    await t.rejects(client.request({ url }), { code: 'RELAY_ERR_EGRESS_INVALID_URL' }, url)
  }
})

t.test('allowCidrs lets a request reach a real local server, by IP and by name', async (t) => {
  const server = await startServer(t, (req, res) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (c: string) => (body += c))
    req.on('end', () => {
      res.setHeader('x-echo-method', req.method ?? '')
      res.setHeader('set-cookie', ['a=1', 'b=2'])
      res.statusCode = 201
      res.end(`${req.headers['x-test']}|${req.headers.host}|${body}`)
    })
  })
  const client = createHttpClient({ allowCidrs: ['127.0.0.0/8'], resolve: mapResolver({ 'hooks.internal': ['127.0.0.1'] }) })
  t.teardown(() => client.close())
  for (const host of ['127.0.0.1', 'hooks.internal']) {
    const res = await client.request({
      url: `http://${host}:${server.port}/path?q=1`,
      method: 'PUT',
      headers: { 'x-test': 'yes' },
      body: Buffer.from('payload'),
    })
    t.equal(res.status, 201)
    t.equal(res.body.toString(), `yes|${host}:${server.port}|payload`, 'Host header keeps the name, not the pinned IP')
    t.equal(res.headers['x-echo-method'], 'PUT')
    t.equal(res.headers['set-cookie'], 'a=1, b=2', 'repeated headers are joined')
  }
})

t.test('a name is resolved once per connection and the socket uses that checked answer (no rebinding window)', async (t) => {
  const server = await startServer(t, ok)
  // First answer passes the guard, every later one points at a forbidden address: a
  // client that checked one lookup and connected with another would reach 10.0.0.1.
  const answers: string[] = []
  const rebinding: Resolver = async () => {
    const address = answers.length === 0 ? '127.0.0.1' : '10.0.0.1'
    answers.push(address)
    return [{ address, family: 4 }]
  }
  const client = createHttpClient({ allowCidrs: ['127.0.0.0/8'], resolve: rebinding })
  t.teardown(() => client.close())
  const res = await client.request({ url: `http://rebind.example:${server.port}/` })
  t.equal(res.status, 200)
  t.same(answers, ['127.0.0.1'], 'exactly one resolution, and it is the one that connected')
})

t.test('redirects are returned, not followed', async (t) => {
  const target = await startServer(t, ok)
  const redirector = await startServer(t, (_req, res) => {
    res.writeHead(302, { location: `http://127.0.0.1:${target.port}/elsewhere` })
    res.end()
  })
  const client = createHttpClient({ allowCidrs: ['127.0.0.0/8'] })
  t.teardown(() => client.close())
  const res = await client.request({ url: `http://127.0.0.1:${redirector.port}/` })
  t.equal(res.status, 302)
  t.equal(res.headers.location, `http://127.0.0.1:${target.port}/elsewhere`)
  t.equal(target.hits(), 0)
})

t.test('response bodies are capped; the rest is discarded', async (t) => {
  const big = Buffer.alloc(1024 * 1024, 'x')
  const server = await startServer(t, (_req, res) => res.end(big))
  const small = createHttpClient({ allowCidrs: ['127.0.0.0/8'], maxResponseBytes: 1000 })
  const byDefault = createHttpClient({ allowCidrs: ['127.0.0.0/8'] })
  t.teardown(() => Promise.all([small.close(), byDefault.close()]))
  const url = `http://127.0.0.1:${server.port}/`
  t.equal((await small.request({ url })).body.length, 1000)
  t.equal((await byDefault.request({ url })).body.length, 64 * 1024)
  // The client stays usable after cutting a body short.
  t.equal((await small.request({ url })).status, 200)
})

t.test('the timeout covers a body that trickles in after fast headers', async (t) => {
  const server = await startServer(t, (_req, res) => {
    res.writeHead(200)
    res.write('first chunk')
    // never ends
  })
  const client = createHttpClient({ allowCidrs: ['127.0.0.0/8'] })
  t.teardown(() => client.close())
  const started = Date.now()
  await t.rejects(client.request({ url: `http://127.0.0.1:${server.port}/`, timeoutMs: 200 }), {
    code: 'RELAY_ERR_EGRESS_TIMEOUT',
    message: /within 200 ms/,
  })
  t.ok(Date.now() - started < 2000, 'gave up promptly')
})

t.test("the caller's abort signal cancels the request", async (t) => {
  const server = await startServer(t, () => {})
  const client = createHttpClient({ allowCidrs: ['127.0.0.0/8'] })
  t.teardown(() => client.close())
  const controller = new AbortController()
  setTimeout(() => controller.abort(new Error('worker shutting down')), 50)
  await t.rejects(client.request({ url: `http://127.0.0.1:${server.port}/`, signal: controller.signal }), /worker shutting down/)
})

t.test('keep-alive: sequential requests to one origin reuse pooled connections', async (t) => {
  const ports = new Set<number>()
  const server = await startServer(t, (req, res) => {
    ports.add(req.socket.remotePort ?? 0)
    res.end('ok')
  })
  const client = createHttpClient({ allowCidrs: ['127.0.0.0/8'] })
  t.teardown(() => client.close())
  for (let i = 0; i < 20; i++) await client.request({ url: `http://127.0.0.1:${server.port}/` })
  // undici's pool may hand the next request to a second idle client while the first
  // settles, so "reused" means a couple of sockets, not twenty.
  t.ok(ports.size <= 2, `20 requests used ${ports.size} connection(s)`)
})
