/**
 * Webhook URLs carry their credential in the path (…/api/webhooks/<id>/<token>). The
 * delivery log records the request URL, so it gets this form, with the last path
 * segment masked, never the real one.
 */
export const MASK = '********'

export function redactWebhookUrl(url: string): string {
  try {
    const u = new URL(url)
    const parts = u.pathname.split('/')
    if (parts.length > 2) parts[parts.length - 1] = MASK
    return `${u.origin}${parts.join('/')}`
  } catch {
    return MASK
  }
}
