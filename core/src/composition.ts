/**
 * What a relay is made of beyond the core: the action and lifecycle plugins it loads
 * and the HTTP extensions (the admin UI is one) it mounts. The core names none of them;
 * the app package (app/src/composition.ts) is the composition root that does, and a
 * user who installs only @webhook-relay/core composes their own (or names plugins in
 * RELAY_PLUGINS).
 */
import type { FastifyPluginAsync } from 'fastify'
import type { Services } from './api/services.ts'
import { ConfigError, type Config } from './config/config.ts'

/** An HTTP surface served beside /api/v1 by the api and all roles, under its own prefix. */
export interface RelayExtension {
  /** For logs and errors: what this is (e.g. "admin UI"). */
  readonly name: string
  /** Where it is mounted, e.g. /ui. Must not be /api, /in or a health path. */
  readonly prefix: string
  /** A note after its address in the start-up banner, e.g. how to sign in. */
  readonly hint?: (config: Config) => string
  /** Encapsulated: its hooks and error handler apply under its prefix only. */
  readonly register: FastifyPluginAsync<{ services: Services }>
}

export interface Composition {
  /** Plugin packages or paths loaded before RELAY_PLUGINS' (names are unique across both). */
  readonly plugins?: readonly string[]
  readonly extensions?: readonly RelayExtension[]
}

/** Prefixes the core serves itself; an extension under one would shadow or be shadowed. */
const CORE_PREFIXES = ['/api', '/in', '/healthz', '/readyz', '/metrics']

/** Refuses (ConfigError: the CLI exits 78) an extension whose prefix the core or another extension already serves. */
export function checkExtensions(extensions: readonly RelayExtension[]): void {
  const seen = new Map<string, string>()
  for (const x of extensions) {
    if (!/^\/[a-z0-9][a-z0-9/_-]*$/i.test(x.prefix) || x.prefix.endsWith('/')) {
      throw new ConfigError(`extension "${x.name}": prefix "${x.prefix}" must be a path like /ui (no trailing slash)`)
    }
    const clash = CORE_PREFIXES.find((p) => x.prefix === p || x.prefix.startsWith(`${p}/`))
    if (clash) throw new ConfigError(`extension "${x.name}": prefix "${x.prefix}" is the core's own (${clash})`)
    const other = seen.get(x.prefix)
    if (other) throw new ConfigError(`extensions "${other}" and "${x.name}" both ask for prefix "${x.prefix}"`)
    seen.set(x.prefix, x.name)
  }
}
