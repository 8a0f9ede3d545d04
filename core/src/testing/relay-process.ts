/**
 * What the tools that run the relay as child processes (the bench, the load tests, the
 * Prometheus test) need around it: a free port, a child's first line of output (how
 * the subscriber and load generator report themselves), waiting for /readyz, and the
 * admin API with the bearer token.
 */
import type { ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    }).on('error', reject)
  })
}

export function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = ''
    child.stdout!.on('data', (c: Buffer) => {
      buf += c.toString()
      const nl = buf.indexOf('\n')
      if (nl >= 0) resolve(buf.slice(0, nl))
    })
    child.on('exit', (code) => reject(new Error(`${child.spawnargs.join(' ')} exited ${code}`)))
  })
}

export async function waitReady(url: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${url}/readyz`)).ok) return
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`${url} never became ready`)
}

/** `(method, path, body?)` against `${base}/api/v1`; the parsed answer, or a throw naming the status. */
export function adminApi(base: string, token: string) {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tools read ad-hoc response shapes
  return async (method: string, path: string, body?: unknown): Promise<any> => {
    const res = await fetch(`${base}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await res.text()
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`)
    return text ? JSON.parse(text) : undefined
  }
}
