/**
 * One source wired to one action plugin on a running test relay: what every plugin's
 * integration test needs before it can say anything about the plugin (create the
 * source, subscribe, send a webhook, wait for its delivery to settle).
 */
import { eventually, type TestRelay } from './relay-env.ts'

/** A delivery as GET /api/v1/events/:id lists it. */
export interface SettledDelivery {
  id: string
  status: string
  subscriptionId: string
  attemptCount: number
  [field: string]: unknown
}

const SETTLE_MS = 15_000

export async function pluginSource(relay: TestRelay, opts: { action: string; slug: string }) {
  const source = (await relay.api('/api/v1/sources', { body: { name: opts.slug, slug: opts.slug } })).body as { id: string; slug: string }
  const deliveriesOf = async (eventId: string) => (await relay.api(`/api/v1/events/${eventId}`)).body.deliveries as SettledDelivery[]
  /** POST /api/v1/subscriptions for this source; the answer as it came (errors included). */
  const subscribe = (config: object) => relay.api('/api/v1/subscriptions', { body: { sourceId: source.id, action: opts.action, config } })
  return {
    source,
    subscribe,
    /** The same, for configs that must be accepted: the created subscription, or a throw. */
    async subscribed(config: object) {
      const r = await subscribe(config)
      if (r.status !== 201) throw new Error(`subscription refused (${r.status}): ${JSON.stringify(r.body)}`)
      return r.body
    },
    /** Sends a webhook (a string as is, anything else as JSON); resolves to its event id. */
    async send(body: string | object): Promise<string> {
      const res = await fetch(`${relay.url}/in/${source.slug}`, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json' } })
      if (res.status !== 202) throw new Error(`ingest answered ${res.status}: ${await res.text()}`)
      return ((await res.json()) as { eventId: string }).eventId
    },
    /** The event's (first) delivery once it has `status`. */
    settled: (eventId: string, status: string) =>
      eventually(async () => {
        const [d] = await deliveriesOf(eventId)
        return d?.status === status ? d : null
      }, `delivery of ${eventId} to be ${status}`, SETTLE_MS),
    /** Every delivery of the event, once all have `status`. */
    allSettled: (eventId: string, status: string) =>
      eventually(async () => {
        const ds = await deliveriesOf(eventId)
        return ds.length > 0 && ds.every((d) => d.status === status) ? ds : null
      }, `deliveries of ${eventId} to be ${status}`, SETTLE_MS),
  }
}
