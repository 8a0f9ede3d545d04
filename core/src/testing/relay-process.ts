/**
 * What the tools that run the relay as child processes (the bench, the load tests, the
 * Prometheus test) need around it: a free port, a child's first line of output (how
 * the subscriber and load generator report themselves), waiting for /readyz, the
 * admin API with the bearer token, and removing a throwaway relay's database and keys.
 */
import type { ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { Redis } from 'ioredis'
import pg from 'pg'

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

/**
 * The address a relay child started with PORT=0 listens on, from the line its entry point
 * prints ("listening on http://…" for api and all, "health on http://…" for a worker):
 * the kernel picks the port, so no other process can take it between choosing and binding.
 */
export function listeningAddress(child: ChildProcess, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = ''
    let found = false
    const timer = setTimeout(() => reject(new Error(`${child.spawnargs.join(' ')} did not say where it listens within ${timeoutMs} ms`)), timeoutMs)
    // Read stdout to the end, kept or not: a pipe nobody reads stops the child when it fills.
    child.stdout!.on('data', (c: Buffer) => {
      if (found) return
      buf += c.toString()
      const m = /(?:listening on|health on) (http:\/\/[\w.:[\]-]+)/.exec(buf)
      if (m) {
        found = true
        buf = ''
        clearTimeout(timer)
        resolve(m[1]!)
      }
    })
    child.on('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`${child.spawnargs.join(' ')} exited ${code} before listening`))
    })
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

/**
 * Removes what a throwaway relay left: its Redis keys (by prefix) and its database.
 * `pgHost` is the server URL without a database (postgres://user@host:port).
 */
export async function dropRelayState(o: { pgHost: string; database: string; redisUrl: string; redisPrefix: string }): Promise<void> {
  const redis = new Redis(o.redisUrl)
  const keys = await redis.keys(`${o.redisPrefix}*`)
  if (keys.length) await redis.del(...keys)
  redis.disconnect()
  const admin = new pg.Client({ connectionString: `${o.pgHost}/postgres` })
  await admin.connect()
  await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(o.database)} WITH (FORCE)`)
  await admin.end()
}
