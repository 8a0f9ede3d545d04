/**
 * The SSRF guard for plugins that speak something other than HTTP (SMTP today): a TCP
 * connection opened the way the HTTP client opens its own. A host name is resolved and
 * checked inside the socket's lookup (no DNS-rebinding gap); an address literal is
 * checked before connecting, since a socket given an address skips its lookup.
 */
import { connect as netConnect, isIP, type Socket } from 'node:net'
import { EgressRefusedError } from './errors.ts'
import { compileAllowList, isForbidden } from './forbidden-address.ts'
import { guardedLookup, systemResolver, type Resolver } from './guarded-lookup.ts'
import type { TcpConnect } from '../plugin/contract.ts'

export const DEFAULT_TCP_CONNECT_TIMEOUT_MS = 10_000

export interface GuardedConnectOptions {
  readonly allowCidrs: readonly string[]
  /** Injectable for tests, like the HTTP client's. */
  readonly resolve?: Resolver
}

export function createGuardedConnect(opts: GuardedConnectOptions): TcpConnect {
  const allow = compileAllowList(opts.allowCidrs)
  const lookup = guardedLookup(opts.resolve ?? systemResolver, allow)
  return ({ host, port, timeoutMs = DEFAULT_TCP_CONNECT_TIMEOUT_MS, signal }) =>
    new Promise<Socket>((resolve, reject) => {
      const bare = host.replace(/^\[(.*)\]$/, '$1')
      if (isIP(bare) !== 0 && isForbidden(bare, allow)) return reject(new EgressRefusedError(bare, bare))
      if (signal?.aborted) return reject(signal.reason)
      const socket = netConnect({ host: bare, port, lookup })
      const done = (err?: Error) => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
        socket.off('connect', onConnect)
        socket.off('error', onError)
        if (err) {
          socket.destroy()
          reject(err)
        } else resolve(socket)
      }
      const onConnect = () => done()
      const onError = (err: Error) => done(err)
      const onAbort = () => done(signal!.reason as Error)
      const timer = setTimeout(() => done(Object.assign(new Error(`connecting to ${host}:${port} timed out after ${timeoutMs} ms`), { code: 'ETIMEDOUT' })), timeoutMs)
      socket.once('connect', onConnect)
      socket.once('error', onError)
      signal?.addEventListener('abort', onAbort, { once: true })
    })
}
