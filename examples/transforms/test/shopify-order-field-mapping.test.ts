import { readFileSync } from 'node:fs'
import t from 'tap'
import { createTransformRunner, eventViewFromPayload } from '@webhook-relay/core/testing'

const script = readFileSync(new URL('../shopify-order-field-mapping.js', import.meta.url), 'utf8')
const order = JSON.parse(readFileSync(new URL('./fixtures/shopify-order-create.json', import.meta.url), 'utf8'))
// A roomy time budget: these tests are not about timeouts, and CI machines get busy.
const runner = createTransformRunner({ timeoutMs: 1000 })
t.teardown(() => runner.close())

function shopifyEvent(body: object) {
  return eventViewFromPayload({
    body,
    id: 'evt_0194f1c2',
    source: 'shopify',
    headers: {
      'X-Shopify-Topic': 'orders/create',
      'X-Shopify-Shop-Domain': 'relay-demo.myshopify.com',
      'X-Shopify-Hmac-Sha256': 'XWmrwMey6OsLMeiZKwP4FppHH3cmAiiJJAweH5Jo4bM=',
    },
  })
}

t.test('a Shopify order maps to the fulfilment record, with headers and a content type', async (t) => {
  const out = await runner.run(script, shopifyEvent(order))
  if (out.kind !== 'payload') throw new Error(JSON.stringify(out))
  t.equal(out.payload.contentType, 'application/vnd.fulfilment.order+json')
  t.same(out.payload.headers, { 'x-shop-domain': 'relay-demo.myshopify.com', 'x-relay-event-id': 'evt_0194f1c2' })
  t.equal(out.payload.url, undefined)
  t.same(JSON.parse(out.payload.body.toString()), {
    externalId: 'shopify:5912345678901',
    number: '#1042',
    placedAt: '2026-01-02T03:04:05-05:00',
    currency: 'USD',
    totalCents: 5993,
    taxCents: 495,
    customer: { email: 'jenny.rosen@example.com', name: 'Jenny Rosen' },
    shipTo: { name: 'Jenny Rosen', lines: ['510 Townsend St', 'Suite 3'], city: 'San Francisco', postalCode: '94103', country: 'US' },
    items: [
      { sku: 'TS-RELAY-M-BLK', title: 'Relay T-shirt', quantity: 2, unitPriceCents: 1999 },
      { sku: 'variant-44123456789013', title: 'Sticker pack', quantity: 1, unitPriceCents: 1500 },
    ],
    tags: ['wholesale', 'priority'],
  })
})

t.test('absent optional fields get defaults', async (t) => {
  const bare = { ...order, email: null, customer: undefined, shipping_address: undefined, tags: '', total_tax: undefined }
  const out = await runner.run(script, shopifyEvent(bare))
  const record = out.kind === 'payload' ? JSON.parse(out.payload.body.toString()) : null
  t.same(record?.customer, { email: null, name: null })
  t.same(record?.shipTo, { name: null, lines: [], city: null, postalCode: null, country: null })
  t.same(record?.tags, [])
  t.equal(record?.taxCents, 0)
})
