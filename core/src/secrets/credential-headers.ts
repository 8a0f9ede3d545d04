/**
 * Which HTTP headers carry credentials, in one place: attempt records store them masked,
 * and stored events show them masked to people (API, admin UI, transform previews)
 * unless RELAY_EVENT_CREDENTIAL_HEADERS=show. The event itself keeps the sender's headers
 * as received: the worker and transforms see them whole.
 */
export const CREDENTIAL_MASK = '********'
export const CREDENTIAL_HEADER = /^(authorization|proxy-authorization|cookie|set-cookie|x-api-key|api-key|apikey|x-auth-token|x-access-token|x-.*-token|x-.*-secret|x-.*-key)$/i

export function maskCredentialHeaders(h: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(h)) out[k] = CREDENTIAL_HEADER.test(k) ? CREDENTIAL_MASK : v
  return out
}

/** A stored event's headers as a person may see them under the configured policy. */
export function shownHeaders(h: Readonly<Record<string, string>>, policy: 'mask' | 'show'): Record<string, string> {
  return policy === 'show' ? { ...h } : maskCredentialHeaders(h)
}
