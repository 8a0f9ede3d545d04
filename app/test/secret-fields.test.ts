// Every config value that can carry a credential is declared secret by its plugin's
// manifest, so it is sealed at rest and masked on read. Walks every built-in plugin's
// config schema, then round-trips each declared secret through seal, mask and open.
import t from 'tap'
import { createSecretBox, MASK, PluginHost } from '@webhook-relay/core'
import { BUILTIN_PLUGINS } from '../src/composition.ts'

const box = createSecretBox(Buffer.alloc(32, 7))
const host = new PluginHost(box)
await host.load([...BUILTIN_PLUGINS])

/** Field names that name a credential (an id such as accessKeyId does not). */
const CREDENTIAL_NAME = /password|secret|token|api.?key|routing.?key|private.?key|webhook.?url|authorization|credential|cookie/i
/**
 * Free maps that carry content, not credentials, each with why. Anything else that lets
 * a user put arbitrary values under arbitrary names must be declared `<field>.*`.
 */
const CONTENT_MAPS: Record<string, Record<string, string>> = {
  opsgenie: { details: 'alert details shown to the on-call person (templates of the event), the API key is apiKey' },
}
type Schema = { type?: string; properties?: Record<string, Schema>; additionalProperties?: boolean | Schema; patternProperties?: Record<string, Schema>; items?: Schema; anyOf?: Schema[] }
const isFreeMap = (s: Schema) => s.type === 'object' && !s.properties && (typeof s.additionalProperties === 'object' || !!s.patternProperties)

/** Every field at any depth, with its dotted path. */
function* fields(schema: Schema, path: string[] = []): Generator<{ path: string[]; schema: Schema }> {
  for (const [name, field] of Object.entries(schema.properties ?? {})) {
    yield { path: [...path, name], schema: field }
    yield* fields(field, [...path, name])
    if (field.items) yield* fields(field.items, [...path, name, '[]'])
    for (const alt of field.anyOf ?? []) yield* fields(alt, [...path, name])
  }
}

for (const plugin of host.list()) {
  t.test(`${plugin.name}: every credential-like field and free map is declared secret`, async (t) => {
    for (const f of fields(plugin.configSchema as Schema)) {
      const name = f.path.at(-1)!
      const dotted = f.path.join('.')
      if (CREDENTIAL_NAME.test(name) && !/id$/i.test(name)) {
        t.equal(f.path.length, 1, `${dotted}: a credential must be a top-level field (only those can be declared)`)
        t.ok(plugin.secrets.includes(dotted), `${dotted} is declared secret`)
      }
      if (isFreeMap(f.schema) && !CONTENT_MAPS[plugin.name]?.[dotted]) {
        t.ok(plugin.secrets.includes(`${dotted}.*`), `${dotted} is a free map (any value may be a credential): declared ${dotted}.*`)
      }
    }
  })
}

t.test('http-relay headers: sealed at rest, masked on read, kept when edited masked, opened for the worker', async (t) => {
  const input = { url: 'https://example.com/hook', headers: { authorization: 'Bearer s3cret', 'x-api-key': 'k-123', 'x-team': 'blue' } }
  const stored = host.prepareConfig('http-relay', input)
  const storedText = JSON.stringify(stored)
  for (const v of ['Bearer s3cret', 'k-123', 'blue']) t.notOk(storedText.includes(v), `${v} is not stored in clear`)
  t.same(input.headers.authorization, 'Bearer s3cret', 'the input object is not changed')
  const masked = host.maskConfig('http-relay', stored)
  t.same(masked.headers, { authorization: MASK, 'x-api-key': MASK, 'x-team': MASK }, 'every header value masked on read')
  t.equal(masked.url, 'https://example.com/hook')
  const edited = host.prepareConfig('http-relay', { ...masked, headers: { ...(masked.headers as object), 'x-team': 'green' } }, stored)
  const opened = host.openConfig('http-relay', edited)
  t.same(opened.headers, { authorization: 'Bearer s3cret', 'x-api-key': 'k-123', 'x-team': 'green' }, 'masked values kept, the changed one replaced')
  t.equal((edited.headers as Record<string, string>).authorization, (stored.headers as Record<string, string>).authorization, 'a kept value is not re-sealed')
})

t.test('every declared secret of every plugin is sealed, masked and opened by the one walker', async (t) => {
  for (const plugin of host.list()) {
    if (plugin.secrets.length === 0) continue
    // A stored config holding each declared secret (sealed), as prepareConfig leaves it.
    const stored: Record<string, unknown> = {}
    for (const s of plugin.secrets) {
      if (s.endsWith('.*')) stored[s.slice(0, -2)] = { a: box.seal('plain-a'), b: box.seal('plain-b') }
      else stored[s] = box.seal(`plain-${s}`)
    }
    const masked = JSON.stringify(host.maskConfig(plugin.name, stored))
    t.notOk(/enc:v2|plain-/.test(masked), `${plugin.name}: nothing of a secret in the masked form`)
    const opened = host.openConfig(plugin.name, stored)
    for (const s of plugin.secrets) {
      if (s.endsWith('.*')) t.same(opened[s.slice(0, -2)], { a: 'plain-a', b: 'plain-b' }, `${plugin.name}: ${s} opened`)
      else t.equal(opened[s], `plain-${s}`, `${plugin.name}: ${s} opened`)
    }
    t.notOk(JSON.stringify(stored).includes('plain-'), `${plugin.name}: opening does not change the stored config`)
  }
})

t.test('a declared secret stored in clear (before it was declared) is sealed on the next masked edit and by sealClearSecrets', async (t) => {
  const clear = { url: 'https://example.com/hook', headers: { authorization: 'Bearer old-clear' } }
  const masked = host.maskConfig('http-relay', clear)
  t.same(masked.headers, { authorization: MASK })
  const edited = host.prepareConfig('http-relay', masked, clear)
  t.ok(box.isSealed((edited.headers as Record<string, string>).authorization), 'sealed now')
  t.equal((host.openConfig('http-relay', edited).headers as Record<string, string>).authorization, 'Bearer old-clear', 'with its value kept')
  const sealed = host.sealClearSecrets('http-relay', clear)
  t.ok(sealed && box.isSealed((sealed.headers as Record<string, string>).authorization))
  t.equal(host.sealClearSecrets('http-relay', edited), null, 'nothing to do when all are sealed')
})
