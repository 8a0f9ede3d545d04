/**
 * Incoming-webhook URLs (Slack, Discord, Mattermost, Teams, …) carry their credential in
 * the last path segment. The delivery log records each request's URL, so plugins record
 * this form, with that segment masked, never the real one.
 */
export const URL_SECRET_MASK = '********'

export function redactWebhookUrl(url: string): string {
  try {
    const u = new URL(url)
    const parts = u.pathname.split('/')
    if (parts.length > 2) parts[parts.length - 1] = URL_SECRET_MASK
    return `${u.origin}${parts.join('/')}`
  } catch {
    return URL_SECRET_MASK
  }
}
