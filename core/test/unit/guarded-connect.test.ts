// TCP through the SSRF guard (ctx.connect): the same refusals as the HTTP client, for
// address literals (which a socket would not look up) and for names (checked in the
// socket's own lookup, so a rebinding DNS answer cannot slip past).
import { createServer } from 'node:net'
import t from 'tap'
import { createGuardedConnect } from '../../src/egress/guarded-connect.ts'

const listening = async () => {
  const server = createServer((s) => s.end('220 hello\r\n'))
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.teardown(() => server.close())
  return (server.address() as { port: number }).port
}

t.test('address literals: loopback, private, metadata and bracketed IPv6 are refused before connecting', async (t) => {
  const connect = createGuardedConnect({ allowCidrs: [] })
  for (const host of ['127.0.0.1', '10.1.2.3', '169.254.169.254', '[::1]', '::ffff:127.0.0.1']) {
    await t.rejects(connect({ host, port: 25 }), { code: 'RELAY_ERR_EGRESS_REFUSED' }, host)
  }
})

t.test('names are checked in the lookup: a name that resolves to loopback is refused', async (t) => {
  const port = await listening()
  const connect = createGuardedConnect({ allowCidrs: [], resolve: async () => [{ address: '127.0.0.1', family: 4 }] })
  await t.rejects(connect({ host: 'smtp.example.com', port }), { code: 'RELAY_ERR_EGRESS_REFUSED', message: /smtp\.example\.com resolves to it/ })
})

t.test('an allowed destination connects, and the socket is usable', async (t) => {
  const port = await listening()
  const connect = createGuardedConnect({ allowCidrs: ['127.0.0.0/8'], resolve: async () => [{ address: '127.0.0.1', family: 4 }] })
  for (const host of ['127.0.0.1', 'smtp.example.com']) {
    const socket = await connect({ host, port })
    const greeting = await new Promise<string>((r) => socket.once('data', (d) => r(d.toString())))
    t.equal(greeting, '220 hello\r\n', host)
    socket.destroy()
  }
})

t.test('an aborted signal stops the attempt', async (t) => {
  const connect = createGuardedConnect({ allowCidrs: ['127.0.0.0/8'] })
  await t.rejects(connect({ host: '127.0.0.1', port: 9, signal: AbortSignal.abort(new Error('deadline')) }), /deadline/)
})
