/**
 * "Send test event" on a subscription: a sample (or edited) JSON body stored as an event
 * of the subscription's source in record mode (so no other subscription gets it), then
 * delivered to this subscription alone through the state machine's replay, with its
 * transform, signing, retries and attempt log like any delivery. The stored event carries
 * `x-relay-test: true` so it can be found and told apart in the event log (the request
 * to the receiver carries the body, as any delivery does, not the sender's headers).
 */
import type { FastifyInstance } from 'fastify'
import { getSubscription, insertEvents, newId, parseJsonWithin, withDb } from '@webhook-relay/core/admin'
import { page } from '../render.ts'
import { UI_PREFIX } from '../session.ts'
import { field, type RouteOptions } from './context.ts'

/** A test body is typed by a person: a few kilobytes, not a payload dump. */
const MAX_TEST_BODY = 64 * 1024

export function sampleTestBody(subscriptionId: string): string {
  return JSON.stringify({ type: 'relay.test', message: 'A test event from Webhook Relay', subscriptionId }, null, 2)
}

export async function testEventRoutes(app: FastifyInstance, { services: s }: RouteOptions): Promise<void> {
  app.post<{ Params: { id: string } }>('/subscriptions/:id/test-event', async (req, reply) => {
    const sub = await withDb(() => getSubscription(s.db, req.params.id))
    const text = field(req.body, 'body') ?? sampleTestBody(sub.id)
    const fail = (message: string) => page(req, reply, 'error.njk', { status: 422, message: `Test event not sent: ${message}` }, 422)
    if (Buffer.byteLength(text) > MAX_TEST_BODY) return fail(`the body is over ${MAX_TEST_BODY / 1024} KiB`)
    const parsed = parseJsonWithin(text)
    if (!parsed.ok) return fail(parsed.reason === 'too-deep' ? 'the JSON is nested too deep' : 'the body is not valid JSON')
    const eventId = newId()
    await withDb(() => insertEvents(s.db, [{
      id: eventId,
      sourceId: sub.source_id,
      receivedAt: Date.now(),
      contentType: 'application/json',
      headers: { 'content-type': 'application/json', 'x-relay-test': 'true' },
      body: Buffer.from(JSON.stringify(parsed.value)),
      idempotencyKey: null,
      fanoutStatus: 'recorded',
    }]))
    s.traffic.event(sub.source_id)
    const deliveryId = await s.deliveries.replayEvent(eventId, sub.id, 'test')
    return reply.redirect(`${UI_PREFIX}/deliveries/${deliveryId}?test=1`, 303)
  })
}
