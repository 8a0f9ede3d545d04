/**
 * The event as a transform script sees it, encoded once on the host. The isolate
 * parses this JSON itself, so no host object ever reaches the script.
 */
import type { EventView, Headers } from '../plugin/contract.ts'

export interface SandboxEvent {
  /** Parsed JSON, or the body decoded as UTF-8 text when it is not JSON. */
  readonly body: unknown
  /** Names in lower case. */
  readonly headers: Headers
  /** The source's slug. */
  readonly source: string
  readonly id: string
  /** ISO 8601, UTC. */
  readonly receivedAt: string
  readonly contentType: string | null
}

export function toSandboxEvent(event: EventView): SandboxEvent {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(event.headers)) headers[name.toLowerCase()] = value
  return {
    body: event.json !== undefined ? event.json : event.body.toString('utf8'),
    headers,
    source: event.sourceSlug,
    id: event.id,
    receivedAt: event.receivedAt.toISOString(),
    contentType: event.contentType,
  }
}

export function encodeSandboxEvent(event: EventView): string {
  return JSON.stringify(toSandboxEvent(event))
}
