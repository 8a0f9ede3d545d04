import { readFileSync } from 'node:fs'
import { createServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { createHttpClient } from '../../src/egress/http-client.ts'

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url))

t.test('https to a pinned address still presents the host name (SNI) and checks the certificate against it', async (t) => {
  const sniNames: string[] = []
  const server = createServer(
    {
      key: fixture('hooks-internal.key'),
      cert: fixture('hooks-internal.crt'),
      SNICallback: (name, cb) => {
        sniNames.push(name)
        cb(null)
      },
    },
    (_req, res) => res.end('ok'),
  )
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    server.closeAllConnections()
    server.close()
  })
  const { port } = server.address() as AddressInfo
  const client = createHttpClient({
    allowCidrs: ['127.0.0.0/8'],
    resolve: async () => [{ address: '127.0.0.1', family: 4 }],
  })
  t.teardown(() => client.close())

  // The certificate is self-signed, so the handshake must fail: proof that verification
  // stays on even though the socket was handed an IP by our lookup.
  await t.rejects(client.request({ url: `https://hooks.internal:${port}/` }), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' })
  t.same(sniNames, ['hooks.internal'])
})
