/**
 * The one check of a plugin's manifest, made before anything of it is used: at boot by
 * the plugin host and by the test harness (so a plugin that passes its tests loads).
 * The data fields are checked against a TypeBox schema, with the path of each error;
 * functions by hand. apiVersion is checked first, on its own: a plugin built for another
 * major may differ anywhere else too, and its version is what its author must read.
 */
import Type from 'typebox'
import Compile from 'typebox/compile'
import { RateLimitSchema } from '../delivery/rate-limit.ts'
import { SUPPORTED_PLUGIN_API_VERSIONS, type ActionManifest, type LifecycleManifest, type PluginManifest } from './contract.ts'

export class PluginLoadError extends Error {
  override name = 'PluginLoadError'
}

const NAME = '^[a-z0-9][a-z0-9-]*$'

const Common = {
  apiVersion: Type.Integer(),
  name: Type.String({ pattern: NAME, maxLength: 64 }),
  version: Type.String({ minLength: 1 }),
  title: Type.String({ minLength: 1 }),
  description: Type.Optional(Type.String()),
}

const ActionShape = Compile(
  Type.Object({
    ...Common,
    kind: Type.Optional(Type.Literal('action')),
    config: Type.Object({ type: Type.Literal('object'), properties: Type.Record(Type.String(), Type.Unknown()) }),
    secrets: Type.Optional(Type.Array(Type.String({ pattern: '^[A-Za-z0-9_]+(\\.\\*)?$' }))),
    rateLimit: Type.Optional(RateLimitSchema),
  }),
)

const LifecycleShape = Compile(Type.Object({ ...Common, kind: Type.Literal('lifecycle') }))

const describe = (errors: Iterable<{ instancePath: string; message: string }>) =>
  [...errors].map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ')

/** Returns the manifest with its type when it is one this relay can load; throws PluginLoadError saying why not. */
export function checkManifest(value: unknown, from: string): PluginManifest {
  const where = `plugin "${from}"`
  if (!value || typeof value !== 'object') throw new PluginLoadError(`${where} has no manifest as its default export (export default defineAction({...}))`)
  const m = value as Record<string, unknown>
  const name = typeof m.name === 'string' ? ` (${m.name})` : ''
  if (m.apiVersion === undefined) {
    throw new PluginLoadError(
      `${where}${name} states no apiVersion: a plugin names the plugin API it was built against (apiVersion: ${SUPPORTED_PLUGIN_API_VERSIONS.at(-1)}); this relay supports ${SUPPORTED_PLUGIN_API_VERSIONS.join(', ')}`,
    )
  }
  if (typeof m.apiVersion !== 'number' || !SUPPORTED_PLUGIN_API_VERSIONS.includes(m.apiVersion)) {
    throw new PluginLoadError(
      `${where}${name} declares apiVersion ${String(m.apiVersion)}; this relay supports ${SUPPORTED_PLUGIN_API_VERSIONS.join(', ')}: install a version of the plugin built for one of them, or a relay that supports ${String(m.apiVersion)}`,
    )
  }
  const kind = m.kind ?? 'action'
  if (kind !== 'action' && kind !== 'lifecycle') throw new PluginLoadError(`${where}${name} has unknown kind "${String(kind)}"; expected action or lifecycle`)
  const shape = kind === 'action' ? ActionShape : LifecycleShape
  if (!shape.Check(m)) throw new PluginLoadError(`${where}${name}: the manifest is not valid: ${describe(shape.Errors(m))}`)
  if (kind === 'lifecycle') {
    if ((value as { routes?: unknown }).routes !== undefined && typeof (value as { routes?: unknown }).routes !== 'function') throw new PluginLoadError(`${where}${name}: routes must be a function`)
    return m as unknown as LifecycleManifest
  }
  const action = m as unknown as ActionManifest
  if (typeof action.deliver !== 'function') throw new PluginLoadError(`${where}${name} has no deliver() function`)
  if (action.close !== undefined && typeof action.close !== 'function') throw new PluginLoadError(`${where}${name}: close must be a function`)
  for (const s of action.secrets ?? []) {
    const field = s.endsWith('.*') ? s.slice(0, -2) : s
    if (!(field in action.config.properties)) throw new PluginLoadError(`${where}${name}: secret field "${s}" is not in its config schema`)
  }
  return action
}
