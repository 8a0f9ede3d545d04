// Stripe `payment_intent.succeeded` / `payment_intent.payment_failed` events -> Discord
// webhook message with an embed. Other Stripe event types are skipped.

const GREEN = 0x2ecc71
const RED = 0xe74c3c
// Currencies Stripe amounts are not in hundredths of (https://docs.stripe.com/currencies#zero-decimal).
const ZERO_DECIMAL = ['bif', 'clp', 'djf', 'gnf', 'jpy', 'kmf', 'krw', 'mga', 'pyg', 'rwf', 'ugx', 'vnd', 'vuv', 'xaf', 'xof', 'xpf']

// Plain formatting on purpose: Intl works in the sandbox but its first use in an
// isolate can take longer than a run's time budget.
function formatAmount(amount, currency) {
  const code = currency.toUpperCase()
  if (ZERO_DECIMAL.includes(currency)) return `${amount} ${code}`
  return `${(amount / 100).toFixed(2)} ${code}`
}

function transform(event) {
  const stripeEvent = event.body
  const intent = stripeEvent.data.object
  const succeeded = stripeEvent.type === 'payment_intent.succeeded'
  if (!succeeded && stripeEvent.type !== 'payment_intent.payment_failed') return null

  const amount = formatAmount(succeeded ? intent.amount_received : intent.amount, intent.currency)
  const fields = [
    { name: 'Amount', value: amount, inline: true },
    { name: 'Customer', value: intent.receipt_email || intent.customer || 'unknown', inline: true },
  ]
  if (intent.description) fields.push({ name: 'Description', value: intent.description })
  if (!succeeded && intent.last_payment_error) {
    fields.push({ name: 'Reason', value: intent.last_payment_error.message })
  }
  const dashboard = `https://dashboard.stripe.com/${stripeEvent.livemode ? '' : 'test/'}payments/${intent.id}`

  return {
    username: 'Stripe',
    embeds: [
      {
        title: succeeded ? `Payment received: ${amount}` : `Payment failed: ${amount}`,
        url: dashboard,
        color: succeeded ? GREEN : RED,
        fields,
        footer: { text: `${stripeEvent.livemode ? 'live' : 'test'} mode · ${intent.id}` },
        timestamp: new Date(stripeEvent.created * 1000).toISOString(),
      },
    ],
  }
}
