// Pass only the event types a receiver cares about; skip the rest (recorded as
// "skipped", not failed). The payload itself goes through unchanged.
// Works for providers that name the type in a header (GitHub, Shopify) or in the
// body (Stripe, and most others).

const WANTED = ['push', 'release', 'invoice.paid', 'customer.subscription.deleted', 'orders/create']

function eventType(event) {
  return event.headers['x-github-event']
    ?? event.headers['x-shopify-topic']
    ?? (event.body !== null && typeof event.body === 'object' ? event.body.type : undefined)
}

function transform(event) {
  const type = eventType(event)
  if (!WANTED.includes(type)) {
    console.log(`skipping ${type ?? 'an event without a type'} from ${event.source}`)
    return null
  }
  // Unchanged body (a non-JSON body arrives as text and leaves as text).
  return event.body
}
