/**
 * Transform scripts: Monaco editor, test runs in the same sandbox the worker uses
 * (against a stored event or a pasted payload), saving as a new version, and a diff
 * between any two versions.
 */
import type { FastifyInstance } from 'fastify'
import {
  addTransformVersion,
  bodyView,
  createTransform,
  getEvent,
  getTransformVersion,
  listTransforms,
  listTransformVersions,
  MAX_SCRIPT_BYTES,
  newId,
  parseJsonOrUndefined,
  shownHeaders,
  toEventView,
  withDb,
  type EventView,
} from '@webhook-relay/core/admin'
import { monacoWorkers } from '../assets.ts'
import { diffLines } from '../diff.ts'
import { prettyIfJson } from '../payload.ts'
import { recentEvents } from '../queries.ts'
import { page, partial } from '../render.ts'
import { UI_PREFIX } from '../session.ts'
import { field, uuidParam, type RouteOptions } from './context.ts'

export const STARTER_SCRIPT = `// Reshape the event before the subscription's action runs.
// Return the new body, relay.payload(body, { headers, contentType, url }) for more
// control, or null to skip this delivery.
/** @param {RelayEvent} event */
function transform(event) {
  return { source: event.source, received: event.receivedAt, data: event.body }
}
`
const NAME_MAX = 200
const PLACEHOLDER_SOURCE = '00000000-0000-0000-0000-000000000000'

type Services = RouteOptions['services']

/** The event a test runs against: a stored one, or a pasted body (JSON when it parses). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

/** `Name: value` lines, as a request shows them; names lower-cased as stored events have them. A bad line is named. */
export function pastedHeaders(text: string | undefined): { headers: Record<string, string> } | { problem: string } {
  const headers: Record<string, string> = {}
  for (const [i, raw] of (text ?? '').split(/\r?\n/).entries()) {
    const line = raw.trim()
    if (!line) continue
    const colon = line.indexOf(':')
    const name = colon > 0 ? line.slice(0, colon).trim() : ''
    if (!HEADER_NAME.test(name)) return { problem: `Header line ${i + 1} is not "Name: value": ${line.slice(0, 80)}` }
    headers[name.toLowerCase()] = line.slice(colon + 1).trim()
  }
  return { headers }
}

async function testEvent(s: Services, eventId: string | undefined, pasted: string | undefined, pastedHeaderMap: Record<string, string> = {}): Promise<EventView> {
  if (eventId) {
    // As the worker sees it, with the sender's credential headers masked (as the API's test route does).
    const e = await withDb(() => getEvent(s.db, eventId))
    return toEventView({ ...e, headers: shownHeaders(e.headers, s.config.eventCredentialHeaders) })
  }
  const text = pasted ?? '{}'
  const json = parseJsonOrUndefined(text)
  return {
    id: newId(),
    sourceId: PLACEHOLDER_SOURCE,
    sourceSlug: 'test',
    receivedAt: new Date(),
    contentType: pastedHeaderMap['content-type'] ?? (json === undefined ? 'text/plain' : 'application/json'),
    headers: pastedHeaderMap,
    body: Buffer.from(text),
    json,
  }
}

export async function transformRoutes(app: FastifyInstance, { services: s }: RouteOptions): Promise<void> {
  const editorContext = async (eventId?: string) => ({
    nav: 'transforms',
    recent: await withDb(() => recentEvents(s.db)),
    eventId,
    monaco: { base: `${UI_PREFIX}/static/monaco/vs`, workers: monacoWorkers(`${UI_PREFIX}/static/monaco/vs`), contract: `${UI_PREFIX}/static/app/transform-contract.txt` },
    maxBytes: MAX_SCRIPT_BYTES,
  })

  app.get('/transforms', async (req, reply) => {
    return page(req, reply, 'transforms.njk', { nav: 'transforms', items: await withDb(() => listTransforms(s.db)) })
  })

  app.get<{ Querystring: { eventId?: string } }>('/transforms/new', async (req, reply) => {
    return page(req, reply, 'transform.njk', { ...(await editorContext(uuidParam(req.query.eventId))), code: STARTER_SCRIPT, current: null })
  })

  app.post('/transforms', async (req, reply) => {
    const name = field(req.body, 'name')?.trim() ?? ''
    const code = field(req.body, 'code') ?? ''
    const errors: Record<string, string> = {}
    if (!name || name.length > NAME_MAX) errors.name = `needs a name of 1 to ${NAME_MAX} characters`
    if (!code.trim() || Buffer.byteLength(code) > MAX_SCRIPT_BYTES) errors.code = `the script must be 1 byte to ${MAX_SCRIPT_BYTES / 1024} KiB`
    if (Object.keys(errors).length) return page(req, reply, 'transform.njk', { ...(await editorContext()), code, name, errors, current: null }, 422)
    const v = await withDb(() => createTransform(s.db, name, code))
    return reply.redirect(`${UI_PREFIX}/transforms/${v.transform_id}?saved=${v.version}`, 303)
  })

  app.get<{ Params: { id: string }; Querystring: { eventId?: string; saved?: string } }>('/transforms/:id', async (req, reply) => {
    const versions = await withDb(() => listTransformVersions(s.db, req.params.id))
    const current = versions[0]!
    return page(req, reply, 'transform.njk', { ...(await editorContext(uuidParam(req.query.eventId))), current, versions, code: current.code, name: current.name, saved: req.query.saved })
  })

  app.post<{ Params: { id: string } }>('/transforms/:id/versions', async (req, reply) => {
    const code = field(req.body, 'code') ?? ''
    const versions = await withDb(() => listTransformVersions(s.db, req.params.id))
    if (!code.trim() || Buffer.byteLength(code) > MAX_SCRIPT_BYTES) {
      return page(req, reply, 'transform.njk', { ...(await editorContext()), current: versions[0], versions, code, name: versions[0]!.name, errors: { code: 'the script is empty or too large' } }, 422)
    }
    if (code === versions[0]!.code) return reply.redirect(`${UI_PREFIX}/transforms/${req.params.id}?saved=${versions[0]!.version}`, 303)
    const v = await withDb(() => addTransformVersion(s.db, req.params.id, code))
    return reply.redirect(`${UI_PREFIX}/transforms/${v.transform_id}?saved=${v.version}`, 303)
  })

  app.post('/transforms/test', async (req, reply) => {
    const code = field(req.body, 'code') ?? ''
    if (!code.trim() || Buffer.byteLength(code) > MAX_SCRIPT_BYTES) {
      return partial(req, reply, 'partials/test-result.njk', { problem: 'Write a script first: it must define function transform(event).' })
    }
    const eventId = uuidParam(field(req.body, 'eventId'))
    const pasted = field(req.body, 'payload')?.trim() || undefined
    const headers = pastedHeaders(field(req.body, 'headers'))
    if ('problem' in headers) return partial(req, reply, 'partials/test-result.njk', { problem: headers.problem })
    const out = await s.transforms().run(code, await testEvent(s, eventId, pasted, headers.headers))
    const output = out.kind === 'payload' ? { ...bodyView(out.payload.body), contentType: out.payload.contentType, headers: out.payload.headers, url: out.payload.url ?? null } : null
    const pretty = output?.bodyEncoding === 'utf8' && output.body !== null ? prettyIfJson(output.body) : output?.body
    return partial(req, reply, 'partials/test-result.njk', { out, output, pretty })
  })

  app.get<{ Params: { id: string }; Querystring: { from?: string; to?: string } }>('/transforms/:id/diff', async (req, reply) => {
    const versions = await withDb(() => listTransformVersions(s.db, req.params.id))
    const to = versions.find((v) => v.id === req.query.to) ?? versions[0]!
    const from = versions.find((v) => v.id === req.query.from) ?? versions.find((v) => v.version === to.version - 1) ?? to
    const lines = diffLines(from.code, to.code)
    return page(req, reply, 'transform-diff.njk', { nav: 'transforms', versions, from, to, lines, name: to.name, transformId: req.params.id })
  })

  app.get<{ Params: { id: string } }>('/transform-versions/:id', async (req, reply) => {
    const v = await withDb(() => getTransformVersion(s.db, req.params.id))
    return reply.redirect(`${UI_PREFIX}/transforms/${v.transform_id}/diff?to=${v.id}`, 303)
  })
}
