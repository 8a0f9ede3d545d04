/**
 * Server-side rendering with nunjucks (autoescape on). Every page gets the CSRF token
 * and the navigation state; `partial` renders a fragment for an htmx swap.
 */
import { fileURLToPath } from 'node:url'
import nunjucks from 'nunjucks'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { csrfToken } from './csrf.ts'
import { UI_PREFIX } from './session.ts'

export const VIEWS_DIR = fileURLToPath(new URL('../views/', import.meta.url))

const env = new nunjucks.Environment(new nunjucks.FileSystemLoader(VIEWS_DIR, { noCache: process.env.NODE_ENV === 'development' }), {
  autoescape: true,
  throwOnUndefined: false,
})

const iso = (ms: unknown) => (typeof ms === 'number' ? new Date(ms).toISOString() : '')

env.addFilter('iso', iso)
/** 2025-01-31 12:34:56 UTC: unambiguous on any screen; the title attribute keeps the ISO. */
// Milliseconds, or an ISO 8601 string (as stored in JSON columns such as signing_secrets).
const millis = (t: unknown): number | null => (typeof t === 'number' ? t : typeof t === 'string' && !Number.isNaN(Date.parse(t)) ? Date.parse(t) : null)
env.addFilter('when', (t: unknown) => {
  const ms = millis(t)
  return ms === null ? '—' : iso(ms).replace('T', ' ').replace(/\.\d+Z$/, ' UTC')
})
env.addFilter('ago', (ms: unknown, now: unknown = Date.now()) => {
  if (typeof ms !== 'number') return '—'
  const s = Math.round(((now as number) - ms) / 1000)
  if (s < 0) return `in ${-s < 120 ? `${-s}s` : `${Math.round(-s / 60)}m`}`
  if (s < 120) return `${s}s ago`
  if (s < 7200) return `${Math.round(s / 60)}m ago`
  if (s < 172800) return `${Math.round(s / 3600)}h ago`
  return `${Math.round(s / 86400)}d ago`
})
env.addFilter('bytes', (n: unknown) => {
  if (typeof n !== 'number') return ''
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`
  return `${(n / 1024 / 1024).toFixed(1)} MiB`
})
/** 90 minutes, 12 hours, 1 day: a configured length of time, in the largest whole unit. */
env.addFilter('duration', (ms: unknown) => {
  if (typeof ms !== 'number') return ''
  const [unit, size] = ([['day', 86_400_000], ['hour', 3_600_000], ['minute', 60_000], ['second', 1000]] as const).find(([, n]) => ms % n === 0 && ms >= n) ?? ['ms', 1]
  const n = ms / size
  return unit === 'ms' ? `${ms} ms` : `${n} ${unit}${n === 1 ? '' : 's'}`
})
/** A latency: 180 ms, 1.2 s. */
env.addFilter('ms', (n: unknown) => (typeof n !== 'number' ? '' : n < 1000 ? `${Math.round(n)} ms` : `${(n / 1000).toFixed(1)} s`))
env.addFilter('pretty', (v: unknown) => JSON.stringify(v, null, 2))
env.addFilter('short', (id: unknown) => (typeof id === 'string' ? id.slice(0, 8) : ''))

export interface RenderContext {
  [key: string]: unknown
}

function base(req: FastifyRequest, reply: FastifyReply): RenderContext {
  return {
    prefix: UI_PREFIX,
    csrf: csrfToken(req, reply),
    path: req.url.split('?')[0],
    now: Date.now(),
  }
}

export function page(req: FastifyRequest, reply: FastifyReply, template: string, ctx: RenderContext = {}, status = 200) {
  const html = env.render(template, { ...base(req, reply), ...ctx })
  return reply.code(status).type('text/html; charset=utf-8').send(html)
}

/** A fragment for htmx; same context, no layout (the template does not extend one). */
export const partial = page

export function renderString(template: string, ctx: RenderContext): string {
  return env.render(template, ctx)
}
