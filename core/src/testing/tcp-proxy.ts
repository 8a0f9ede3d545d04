/**
 * A TCP proxy in front of Postgres or Redis that a test can cut (listener closed, live
 * sockets destroyed) and restore on the same port: an outage provoked for one relay
 * while the test itself keeps talking to the real server.
 */
import { connect, createServer, type Server, type Socket } from 'node:net'

export async function tcpProxy(targetPort: number) {
  const sockets = new Set<Socket>()
  let server: Server
  let port = 0
  const listen = () =>
    new Promise<void>((resolve) => {
      server = createServer((client) => {
        const upstream = connect(targetPort, '127.0.0.1')
        for (const s of [client, upstream]) {
          sockets.add(s)
          s.on('close', () => sockets.delete(s))
          s.on('error', () => s.destroy())
        }
        client.pipe(upstream).pipe(client)
      })
      server.listen(port, '127.0.0.1', () => {
        port = (server.address() as { port: number }).port
        resolve()
      })
    })
  await listen()
  return {
    get port() {
      return port
    },
    cut: () => new Promise<void>((resolve) => {
      server.close(() => resolve())
      for (const s of sockets) s.destroy()
    }),
    restore: listen,
  }
}
