/**
 * The plugin host, shared by the API and the worker: loads the manifests named in an
 * explicit list (built-ins plus RELAY_PLUGINS, never a directory scan), checks them,
 * and owns what the core does with a plugin's config: validation against its TypeBox
 * schema, sealing its secret fields at rest, and masking them in API responses.
 * Action and lifecycle plugins share one namespace: a name taken by either kind fails
 * a second registration at boot.
 */
import { registerHooks } from 'node:module'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { dirname, isAbsolute, join, resolve } from 'node:path'
import Compile from 'typebox/compile'
import type { Validator } from 'typebox/compile'
import { DEFAULT_BURST, type RateLimit } from '../delivery/rate-limit.ts'
import { Errors } from '../errors.ts'
import type { SecretBox } from '../secrets/secret-box.ts'
import { secretSlots, valueAt, type SecretSlot } from './secret-fields.ts'
import type { ActionManifest, LifecycleManifest } from './contract.ts'
import { checkManifest, PluginLoadError } from './manifest.ts'

export const MASK = '********'

/** How long a plugin's close() may take at shutdown. */
export const CLOSE_TIMEOUT_MS = 5_000

export { PluginLoadError }

interface Loaded {
  readonly manifest: ActionManifest
  readonly validator: Validator
  readonly from: string
}

export interface PluginInfo {
  name: string
  version: string
  title: string
  description: string | undefined
  apiVersion: number
  secrets: readonly string[]
  configSchema: unknown
  /** The manifest's default rate limit, burst filled in; null: none. */
  rateLimit: RateLimit | null
  package: string
}

export interface LifecyclePluginInfo {
  name: string
  version: string
  title: string
  description: string | undefined
  apiVersion: number
  package: string
}

/** Where the fallback resolves package names from: the relay's own installation. */
const RELAY_DIR = dirname(fileURLToPath(import.meta.url))

/**
 * The URL `import(spec)` would load if it were written in a module inside `dir` (the
 * package's `exports` with import conditions, then `main`). Node has no public API for
 * this yet (import.meta.resolve's parent argument is behind a flag), so a resolve hook
 * swaps the parent in for this one synchronous call and is removed before it returns.
 */
function resolveFrom(spec: string, dir: string): string {
  const parentURL = pathToFileURL(join(dir, 'relay-plugins.js')).href
  const hooks = registerHooks({ resolve: (s, context, next) => next(s, s === spec ? { ...context, parentURL } : context) })
  try {
    return import.meta.resolve(spec)
  } finally {
    hooks.deregister()
  }
}

/**
 * A path (starting with `.` or `/`) is taken relative to `cwd`. A package name is looked
 * up from `cwd` first, where an operator runs `npm install relay-plugin-x` next to their
 * deployment, then from the relay's own installation, where the built-ins live.
 */
/** A plugin package whose entry file under dist/ is missing was not built: say how to build it. */
function unbuilt(message: string): string {
  return /Cannot find (module|package)/.test(message) && /[\\/]dist[\\/]/.test(message)
    ? '; its entry file under dist/ is missing: the plugin is not built yet, run `npm run build` in its directory (or install a published build)'
    : ''
}

function locatePlugin(spec: string, cwd: string): string {
  if (spec.startsWith('.') || isAbsolute(spec)) return pathToFileURL(resolve(cwd, spec)).href
  let fromCwd: Error
  try {
    return resolveFrom(spec, cwd)
  } catch (err) {
    fromCwd = err as Error
    // Found but broken (a bad exports map, say): report that rather than look elsewhere.
    if ((err as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw new PluginLoadError(`cannot load plugin "${spec}": ${fromCwd.message}${unbuilt(fromCwd.message)}`)
  }
  try {
    return import.meta.resolve(spec)
  } catch {
    // A package that is there but misses its entry file (an unbuilt dist/) says so in the first error.
    const detail = /^Cannot find package/.test(fromCwd.message) ? '' : ` (${fromCwd.message})${unbuilt(fromCwd.message)}`
    throw new PluginLoadError(
      `cannot load plugin "${spec}": package not found from ${cwd} (its node_modules or a parent's) nor from the relay's installation (${RELAY_DIR})${detail}; run \`npm install ${spec}\` in the directory the relay starts from`,
    )
  }
}

export class PluginHost {
  readonly #plugins = new Map<string, Loaded>()
  readonly #lifecycle = new Map<string, { manifest: LifecycleManifest; from: string }>()
  readonly #box: SecretBox

  constructor(box: SecretBox) {
    this.#box = box
  }

  /** Registers a manifest of either kind; throws PluginLoadError on a duplicate name or a manifest checkManifest refuses. */
  register(value: unknown, from: string): void {
    const manifest = checkManifest(value, from)
    const existing = this.#plugins.get(manifest.name) ?? this.#lifecycle.get(manifest.name)
    if (existing) throw new PluginLoadError(`two plugins are named "${manifest.name}": ${existing.from} and ${from}`)
    if (manifest.kind === 'lifecycle') this.#lifecycle.set(manifest.name, { manifest, from })
    else this.#plugins.set(manifest.name, { manifest, validator: Compile(manifest.config), from })
  }

  /** Imports and registers each package name or path. */
  async load(specs: readonly string[], cwd = process.cwd()): Promise<void> {
    for (const spec of specs) {
      const target = locatePlugin(spec, cwd)
      let mod: { default?: unknown }
      try {
        mod = (await import(target)) as { default?: unknown }
      } catch (err) {
        throw new PluginLoadError(`cannot load plugin "${spec}" (${target}): ${(err as Error).message}${unbuilt((err as Error).message)}`)
      }
      this.register(mod.default, spec)
    }
  }

  /**
   * Calls every action plugin's close(), at shutdown. Each gets CLOSE_TIMEOUT_MS; one that
   * throws or hangs is logged and the others are closed all the same.
   */
  async close(log: { warn(obj: object, msg?: string): void }): Promise<void> {
    await Promise.all(
      [...this.#plugins.values()].map(async ({ manifest: m }) => {
        if (!m.close) return
        let timer: NodeJS.Timeout | undefined
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`did not finish within ${CLOSE_TIMEOUT_MS} ms`)), CLOSE_TIMEOUT_MS)
        })
        try {
          await Promise.race([Promise.resolve().then(() => m.close!()), timeout])
        } catch (err) {
          log.warn({ plugin: m.name, err: (err as Error).message }, 'a plugin failed to close')
        } finally {
          clearTimeout(timer)
        }
      }),
    )
  }

  get(name: string): ActionManifest | undefined {
    return this.#plugins.get(name)?.manifest
  }

  /** The action's default rate limit (its manifest's, burst filled in); null: none or no such action. */
  defaultRateLimit(name: string): RateLimit | null {
    const l = this.get(name)?.rateLimit
    return l ? { perSecond: l.perSecond, burst: l.burst ?? DEFAULT_BURST } : null
  }

  require(name: string): ActionManifest {
    const p = this.get(name)
    if (!p) throw new Errors.PLUGIN_NOT_FOUND(name)
    return p
  }

  /** Lifecycle plugins in load order. */
  lifecycle(): readonly LifecycleManifest[] {
    return [...this.#lifecycle.values()].map((l) => l.manifest)
  }

  listLifecycle(): LifecyclePluginInfo[] {
    return [...this.#lifecycle.values()].map(({ manifest: m, from }) => ({
      name: m.name,
      version: m.version,
      title: m.title,
      description: m.description,
      apiVersion: m.apiVersion,
      package: from,
    }))
  }

  /** Action plugins (the ones a subscription can use). */
  list(): PluginInfo[] {
    return [...this.#plugins.values()].map(({ manifest: m, from }) => ({
      name: m.name,
      version: m.version,
      title: m.title,
      description: m.description,
      apiVersion: m.apiVersion,
      secrets: m.secrets ?? [],
      configSchema: m.config,
      rateLimit: this.defaultRateLimit(m.name),
      package: from,
    }))
  }

  /**
   * Validates a config from the API. A masked secret (the value the API showed) means
   * "keep the stored value", so an edit form can round-trip without knowing secrets.
   * Returns the config with secrets sealed, ready to store.
   */
  prepareConfig(action: string, input: unknown, previousSealed?: Record<string, unknown>): Record<string, unknown> {
    const loaded = this.#plugins.get(action)
    if (!loaded) throw new Errors.PLUGIN_NOT_FOUND(action)
    if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new Errors.INVALID_CONFIG(action, 'config must be an object')
    const secrets = loaded.manifest.secrets ?? []
    const { copy: config, slots } = secretSlots(input as Record<string, unknown>, secrets)
    const keptSealed = new Map<SecretSlot, string>()
    for (const slot of slots) {
      const before = valueAt(previousSealed, slot.path)
      if (slot.holder[slot.key] === MASK && typeof before === 'string') {
        // Kept as stored; a value stored in clear (declared secret after it was saved) is sealed now.
        const sealed = this.#box.isSealed(before)
        keptSealed.set(slot, sealed ? before : this.#box.seal(before))
        slot.holder[slot.key] = sealed ? this.#box.open(before) : before
      }
    }
    if (!loaded.validator.Check(config)) {
      const detail = loaded.validator.Errors(config).slice(0, 5).map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ')
      throw new Errors.INVALID_CONFIG(action, detail || 'config does not match the schema')
    }
    for (const slot of slots) {
      const v = slot.holder[slot.key]
      if (typeof v === 'string') slot.holder[slot.key] = keptSealed.get(slot) ?? this.#box.seal(v)
    }
    return config
  }

  /** The stored config with secrets decrypted, for the worker. */
  openConfig(action: string, stored: Record<string, unknown>): Record<string, unknown> {
    const { copy, slots } = secretSlots(stored, this.get(action)?.secrets ?? [])
    for (const slot of slots) {
      const v = slot.holder[slot.key]
      if (this.#box.isSealed(v)) slot.holder[slot.key] = this.#box.open(v)
    }
    return copy
  }

  /**
   * The stored config with every declared secret that is still in clear sealed (saved
   * before the plugin declared it secret), or null when there is none: `relay reseal`.
   */
  sealClearSecrets(action: string, stored: Record<string, unknown>): Record<string, unknown> | null {
    const { copy, slots } = secretSlots(stored, this.get(action)?.secrets ?? [])
    let changed = false
    for (const slot of slots) {
      const v = slot.holder[slot.key]
      if (typeof v === 'string' && !this.#box.isSealed(v)) {
        slot.holder[slot.key] = this.#box.seal(v)
        changed = true
      }
    }
    return changed ? copy : null
  }

  /** The stored config with secrets replaced by a mask, for API responses and logs. */
  maskConfig(action: string, stored: Record<string, unknown>): Record<string, unknown> {
    const { copy, slots } = secretSlots(stored, this.get(action)?.secrets ?? [])
    for (const slot of slots) slot.holder[slot.key] = MASK
    return copy
  }
}
