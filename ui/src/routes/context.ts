/** What every route module of the UI receives. */
import type { Services } from '@webhook-relay/core/admin'
import type { SessionStore } from '../session-store.ts'
import type { SignInLimiter } from '../sign-in-limit.ts'

export interface RouteOptions {
  services: Services
  sessions: SessionStore
  signInLimiter: SignInLimiter
}

/** A single form value: formbody gives arrays for repeated names; the last one wins. */
export function field(body: unknown, name: string): string | undefined {
  const v = (body as Record<string, unknown> | undefined)?.[name]
  if (Array.isArray(v)) return v.length ? String(v.at(-1)) : undefined
  return typeof v === 'string' ? v : undefined
}

/** All values of a repeated form field (checkbox lists). */
export function fields(body: unknown, name: string): string[] {
  const v = (body as Record<string, unknown> | undefined)?.[name]
  if (Array.isArray(v)) return v.map(String)
  return typeof v === 'string' ? [v] : []
}

/** Query parameter as a UUID, or undefined: a hand-edited URL must not reach SQL as garbage. */
export function uuidParam(v: unknown): string | undefined {
  return typeof v === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v) ? v : undefined
}
