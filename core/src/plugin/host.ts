/**
 * The plugin host, shared by the API and the worker: loads the manifests named in an
 * explicit list (built-ins plus RELAY_PLUGINS, never a directory scan), checks them,
 * and owns what the core does with a plugin's config: validation against its TypeBox
 * schema, sealing its secret fields at rest, and masking them in API responses.
 * Action and lifecycle plugins share one namespace: a name taken by either kind fails
 * a second registration at boot.
 */
import { pathToFileURL } from 'node:url'
import { isAbsolute, resolve } from 'node:path'
import Compile from 'typebox/compile'
import type { Validator } from 'typebox/compile'
import { Errors } from '../errors.ts'
import type { SecretBox } from '../secrets/secret-box.ts'
import { SUPPORTED_PLUGIN_API_VERSIONS, type ActionManifest, type LifecycleManifest, type PluginManifest } from './contract.ts'

export const MASK = '********'

export class PluginLoadError extends Error {
  override name = 'PluginLoadError'
}

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

export class PluginHost {
  readonly #plugins = new Map<string, Loaded>()
  readonly #lifecycle = new Map<string, { manifest: LifecycleManifest; from: string }>()
  readonly #box: SecretBox

  constructor(box: SecretBox) {
    this.#box = box
  }

  /** Registers a manifest of either kind; throws PluginLoadError on a duplicate name, an unsupported apiVersion or a malformed manifest. */
  register(manifest: PluginManifest, from: string): void {
    const where = `plugin "${from}"`
    if (!manifest || typeof manifest !== 'object') throw new PluginLoadError(`${where} has no default export manifest`)
    if (typeof manifest.name !== 'string' || !/^[a-z0-9][a-z0-9-]*$/.test(manifest.name)) {
      throw new PluginLoadError(`${where}: manifest name must be lower-case letters, digits and dashes`)
    }
    if (!SUPPORTED_PLUGIN_API_VERSIONS.includes(manifest.apiVersion)) {
      throw new PluginLoadError(
        `${where} (${manifest.name}) declares apiVersion ${String(manifest.apiVersion)}; this relay supports ${SUPPORTED_PLUGIN_API_VERSIONS.join(', ')}`,
      )
    }
    const existing = this.#plugins.get(manifest.name) ?? this.#lifecycle.get(manifest.name)
    if (existing) throw new PluginLoadError(`two plugins are named "${manifest.name}": ${existing.from} and ${from}`)
    const kind: unknown = manifest.kind ?? 'action'
    if (kind === 'lifecycle') return this.#registerLifecycle(manifest as LifecycleManifest, from, where)
    if (kind !== 'action') throw new PluginLoadError(`${where} (${manifest.name}) has unknown kind "${String(kind)}"; expected action or lifecycle`)
    const action = manifest as ActionManifest
    if (typeof action.deliver !== 'function') throw new PluginLoadError(`${where} (${action.name}) has no deliver() function`)
    for (const s of action.secrets ?? []) {
      if (!(s in action.config.properties)) throw new PluginLoadError(`${where}: secret field "${s}" is not in its config schema`)
    }
    this.#plugins.set(action.name, { manifest: action, validator: Compile(action.config), from })
  }

  #registerLifecycle(manifest: LifecycleManifest, from: string, where: string): void {
    if (manifest.routes !== undefined && typeof manifest.routes !== 'function') {
      throw new PluginLoadError(`${where} (${manifest.name}): routes must be a function`)
    }
    this.#lifecycle.set(manifest.name, { manifest, from })
  }

  /** Imports and registers each package name or path. */
  async load(specs: readonly string[], cwd = process.cwd()): Promise<void> {
    for (const spec of specs) {
      const target = spec.startsWith('.') || isAbsolute(spec) ? pathToFileURL(resolve(cwd, spec)).href : spec
      let mod: { default?: PluginManifest }
      try {
        mod = (await import(target)) as { default?: PluginManifest }
      } catch (err) {
        throw new PluginLoadError(`cannot load plugin "${spec}": ${(err as Error).message}`)
      }
      this.register(mod.default as PluginManifest, spec)
    }
  }

  get(name: string): ActionManifest | undefined {
    return this.#plugins.get(name)?.manifest
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
    const config = { ...(input as Record<string, unknown>) }
    const secrets = loaded.manifest.secrets ?? []
    const keptSealed: Record<string, string> = {}
    for (const s of secrets) {
      if (config[s] === MASK && previousSealed && typeof previousSealed[s] === 'string') {
        keptSealed[s] = previousSealed[s]
        config[s] = this.#box.open(previousSealed[s])
      }
    }
    if (typeof input !== 'object' || input === null || Array.isArray(input) || !loaded.validator.Check(config)) {
      const errors = typeof input === 'object' && input !== null ? loaded.validator.Errors(config) : []
      const detail = errors.length
        ? errors.slice(0, 5).map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ')
        : 'config must be an object'
      throw new Errors.INVALID_CONFIG(action, detail)
    }
    for (const s of secrets) {
      if (typeof config[s] === 'string') config[s] = keptSealed[s] ?? this.#box.seal(config[s])
    }
    return config
  }

  /** The stored config with secrets decrypted, for the worker. */
  openConfig(action: string, stored: Record<string, unknown>): Record<string, unknown> {
    const secrets = this.get(action)?.secrets ?? []
    const out = { ...stored }
    for (const s of secrets) if (this.#box.isSealed(out[s])) out[s] = this.#box.open(out[s])
    return out
  }

  /** The stored config with secrets replaced by a mask, for API responses and logs. */
  maskConfig(action: string, stored: Record<string, unknown>): Record<string, unknown> {
    const secrets = this.get(action)?.secrets ?? []
    const out = { ...stored }
    for (const s of secrets) if (out[s] !== undefined) out[s] = MASK
    return out
  }
}
