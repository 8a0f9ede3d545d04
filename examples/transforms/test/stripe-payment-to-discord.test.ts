import { readFileSync } from 'node:fs'
import t from 'tap'
import { createTransformRunner, eventViewFromPayload } from '@webhook-relay/core/testing'

const script = readFileSync(new URL('../stripe-payment-to-discord.js', import.meta.url), 'utf8')
const succeeded = JSON.parse(readFileSync(new URL('./fixtures/stripe-payment-intent-succeeded.json', import.meta.url), 'utf8'))
// A roomy time budget: these tests are not about timeouts, and CI machines get busy.
const runner = createTransformRunner({ timeoutMs: 1000 })
t.teardown(() => runner.close())

function stripeEvent(body: object) {
  return eventViewFromPayload({
    body,
    source: 'stripe',
    headers: { 'Stripe-Signature': 't=1767319445,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd' },
  })
}

t.test('a succeeded payment becomes a green Discord embed', async (t) => {
  const out = await runner.run(script, stripeEvent(succeeded))
  if (out.kind !== 'payload') throw new Error(JSON.stringify(out))
  const message = JSON.parse(out.payload.body.toString())
  t.same(message, {
    username: 'Stripe',
    embeds: [{
      title: 'Payment received: 49.99 EUR',
      url: 'https://dashboard.stripe.com/test/payments/pi_3QhL2sJf8Xc9Tb1K0Q2mZr4T',
      color: 0x2ecc71,
      fields: [
        { name: 'Amount', value: '49.99 EUR', inline: true },
        { name: 'Customer', value: 'jenny.rosen@example.com', inline: true },
        { name: 'Description', value: 'Pro plan, annual' },
      ],
      footer: { text: 'test mode · pi_3QhL2sJf8Xc9Tb1K0Q2mZr4T' },
      timestamp: '2026-01-02T02:04:05.000Z',
    }],
  })
})

t.test('a failed payment is red and says why; zero-decimal currencies are not divided', async (t) => {
  const intent = {
    ...succeeded.data.object,
    amount: 5000,
    amount_received: 0,
    currency: 'jpy',
    status: 'requires_payment_method',
    last_payment_error: { code: 'card_declined', decline_code: 'insufficient_funds', message: 'Your card has insufficient funds.' },
  }
  const out = await runner.run(script, stripeEvent({ ...succeeded, type: 'payment_intent.payment_failed', data: { object: intent } }))
  const embed = out.kind === 'payload' ? JSON.parse(out.payload.body.toString()).embeds[0] : null
  t.equal(embed?.title, 'Payment failed: 5000 JPY')
  t.equal(embed?.color, 0xe74c3c)
  t.same(embed?.fields.at(-1), { name: 'Reason', value: 'Your card has insufficient funds.' })
})

t.test('other Stripe events are skipped', async (t) => {
  const out = await runner.run(script, stripeEvent({ ...succeeded, type: 'payment_intent.created' }))
  t.equal(out.kind, 'skip')
})
