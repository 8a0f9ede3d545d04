/**
 * A Mattermost webhook URL is its own credential (…/hooks/<key>). The delivery log
 * records the request URL, so it gets this form with the key masked.
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
