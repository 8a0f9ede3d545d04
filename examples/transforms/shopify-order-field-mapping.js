// Field mapping: a Shopify `orders/create` webhook -> the flat order record an
// internal fulfilment service expects. Prices become integer cents, names are
// renamed, absent optional fields get defaults. relay.payload() adds headers for
// the receiver and a content type of its own.

function cents(price) {
  // Shopify sends money as decimal strings ("19.99"); avoid float rounding.
  const [whole, fraction = ''] = String(price).split('.')
  return Number(whole) * 100 + Number((fraction + '00').slice(0, 2))
}

function transform(event) {
  const order = event.body
  const shipping = order.shipping_address ?? {}
  const record = {
    externalId: `shopify:${order.id}`,
    number: order.name,
    placedAt: order.created_at,
    currency: order.currency,
    totalCents: cents(order.total_price),
    taxCents: cents(order.total_tax ?? '0'),
    customer: {
      email: order.email ?? order.customer?.email ?? null,
      name: [order.customer?.first_name, order.customer?.last_name].filter(Boolean).join(' ') || null,
    },
    shipTo: {
      name: shipping.name ?? null,
      lines: [shipping.address1, shipping.address2].filter(Boolean),
      city: shipping.city ?? null,
      postalCode: shipping.zip ?? null,
      country: shipping.country_code ?? null,
    },
    items: order.line_items.map((item) => ({
      sku: item.sku || `variant-${item.variant_id}`,
      title: item.title,
      quantity: item.quantity,
      unitPriceCents: cents(item.price),
    })),
    tags: order.tags ? order.tags.split(',').map((tag) => tag.trim()) : [],
  }
  return relay.payload(record, {
    contentType: 'application/vnd.fulfilment.order+json',
    headers: {
      'x-shop-domain': event.headers['x-shopify-shop-domain'] ?? 'unknown',
      'x-relay-event-id': event.id,
    },
  })
}
