/**
 * The subscription form's delivery controls: the filter (JSON text) and the rate limit
 * (per second and burst). Each is read from the form and checked by the core's own
 * check (the API's), so the form and the API accept the same values; a problem comes
 * back as the message to show, with the text as typed kept in the form.
 */
import { checkedFilter, checkedRateLimit, FilterError, RateLimitError, type FilterRule, type RateLimit, type SubscriptionRow } from '@webhook-relay/core/admin'
import { field } from './routes/context.ts'

/** What the form's fields hold, as typed. */
export interface ControlTexts {
  readonly filter: string
  readonly ratePerSecond: string
  readonly rateBurst: string
}

export type ReadControls =
  | { readonly filter: FilterRule | null; readonly rateLimit: RateLimit | null; readonly texts: ControlTexts; readonly error?: undefined }
  | { readonly error: string; readonly texts: ControlTexts }

export function readControls(body: unknown): ReadControls {
  const texts: ControlTexts = {
    filter: field(body, 'filter')?.trim() ?? '',
    ratePerSecond: field(body, 'ratePerSecond')?.trim() ?? '',
    rateBurst: field(body, 'rateBurst')?.trim() ?? '',
  }
  let value: unknown = null
  if (texts.filter !== '') {
    try {
      value = JSON.parse(texts.filter)
    } catch (err) {
      return { error: `Filter: not JSON (${(err as Error).message})`, texts }
    }
  }
  try {
    const filter = checkedFilter(value)
    if (texts.ratePerSecond === '' && texts.rateBurst !== '') return { error: 'Rate limit: give the rate per second with the burst', texts }
    const rateLimit = texts.ratePerSecond === '' ? null : checkedRateLimit({ perSecond: Number(texts.ratePerSecond), ...(texts.rateBurst === '' ? {} : { burst: Number(texts.rateBurst) }) })
    return { filter, rateLimit, texts }
  } catch (err) {
    if (err instanceof FilterError) return { error: `Filter: ${err.message}`, texts }
    if (err instanceof RateLimitError) return { error: `Rate limit: ${err.message.replace(/^rateLimit\./, '')}`, texts }
    throw err
  }
}

/** A stored subscription's controls as the form shows them. */
export function controlTexts(sub: SubscriptionRow): ControlTexts {
  return {
    filter: sub.filter ? JSON.stringify(sub.filter, null, 2) : '',
    ratePerSecond: sub.rate_limit ? String(sub.rate_limit.perSecond) : '',
    rateBurst: sub.rate_limit ? String(sub.rate_limit.burst) : '',
  }
}
