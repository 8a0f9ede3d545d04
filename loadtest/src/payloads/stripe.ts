/**
 * Stripe event, in the shape Stripe documents (https://docs.stripe.com/api/events/object):
 * `invoice.paid` with the invoice in `data.object`. Larger payloads carry more invoice
 * line items, as a usage-based or many-seat invoice does. The event id (`evt_…`) is
 * unique per call; the relay uses it as the idempotency key of a Stripe-signed request.
 */
import { alnum, fillTo, phrase } from './fill.ts'

const API_VERSION = '2024-06-20'

function line(i: number, invoice: string) {
  return {
    id: `il_${alnum(24)}`,
    object: 'line_item',
    amount: 1200 + i * 10,
    currency: 'usd',
    description: `1 × ${phrase(2)} seat (at $12.00 / month)`,
    invoice,
    livemode: false,
    metadata: {},
    period: { end: 1_735_689_600, start: 1_733_011_200 },
    price: { id: `price_${alnum(24)}`, object: 'price', product: `prod_${alnum(14)}`, unit_amount: 1200, recurring: { interval: 'month', interval_count: 1 } },
    proration: false,
    quantity: 1,
    type: 'subscription',
  }
}

export function stripeEvent(targetBytes: number): { body: Record<string, unknown>; headers: Record<string, string> } {
  const invoiceId = `in_${alnum(24)}`
  const lines: ReturnType<typeof line>[] = []
  const created = Math.floor(Date.now() / 1000)
  const body = {
    id: `evt_${alnum(24)}`,
    object: 'event',
    api_version: API_VERSION,
    created,
    data: {
      object: {
        id: invoiceId,
        object: 'invoice',
        amount_due: 0,
        amount_paid: 0,
        currency: 'usd',
        customer: `cus_${alnum(14)}`,
        customer_email: 'billing@acme.example',
        hosted_invoice_url: `https://invoice.stripe.com/i/acct_1Nv0FGQ9RKHgCVdK/test_${alnum(40)}`,
        lines: { object: 'list', data: lines, has_more: false, total_count: 0, url: `/v1/invoices/${invoiceId}/lines` },
        number: `ACME-${alnum(6).toUpperCase()}-0001`,
        paid: true,
        status: 'paid',
        subscription: `sub_${alnum(24)}`,
      },
    },
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type: 'invoice.paid',
  }
  fillTo(targetBytes, () => Buffer.byteLength(JSON.stringify(body)), lines, (i) => line(i, invoiceId), 1)
  const inv = body.data.object
  inv.lines.total_count = lines.length
  inv.amount_due = inv.amount_paid = lines.reduce((a, l) => a + l.amount, 0)
  return {
    body,
    headers: {
      'Content-Type': 'application/json; charset=utf-8',
      'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
      'Cache-Control': 'no-cache',
    },
  }
}
