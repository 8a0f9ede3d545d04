/**
 * The subscription form's delivery controls: the filter (JSON text), the rate limit
 * (per second and burst) and the circuit breaker (thresholds, or off). Each is read from the form and checked by the core's own
 * check (the API's), so the form and the API accept the same values; a problem comes
 * back as the message to show, with the text as typed kept in the form.
 */
import {
  checkedCircuitSettings,
  checkedFilter,
  checkedRateLimit,
  CircuitSettingsError,
  FilterError,
  RateLimitError,
  type CircuitSettingsInput,
  type FilterRule,
  type RateLimit,
  type SubscriptionRow,
} from '@webhook-relay/core/admin'
import { field } from './routes/context.ts'

/** What the form's fields hold, as typed. */
export interface ControlTexts {
  readonly filter: string
  readonly ratePerSecond: string
  readonly rateBurst: string
  readonly circuitFailures: string
  readonly circuitProbeSeconds: string
  readonly circuitDisableHours: string
  /** The breaker turned off for this subscription. */
  readonly circuitOff: boolean
}

const CIRCUIT_FIELDS = [
  ['circuitFailures', 'failures'],
  ['circuitProbeSeconds', 'probeAfterSeconds'],
  ['circuitDisableHours', 'disableAfterHours'],
] as const

export type ReadControls =
  | { readonly filter: FilterRule | null; readonly rateLimit: RateLimit | null; readonly circuitBreaker: CircuitSettingsInput | null; readonly texts: ControlTexts; readonly error?: undefined }
  | { readonly error: string; readonly texts: ControlTexts }

/** `previous`: the stored settings, whose `enabled: true` (set through the API) the form keeps: it can only turn the breaker off. */
export function readControls(body: unknown, previous?: SubscriptionRow): ReadControls {
  const texts: ControlTexts = {
    filter: field(body, 'filter')?.trim() ?? '',
    ratePerSecond: field(body, 'ratePerSecond')?.trim() ?? '',
    rateBurst: field(body, 'rateBurst')?.trim() ?? '',
    circuitFailures: field(body, 'circuitFailures')?.trim() ?? '',
    circuitProbeSeconds: field(body, 'circuitProbeSeconds')?.trim() ?? '',
    circuitDisableHours: field(body, 'circuitDisableHours')?.trim() ?? '',
    circuitOff: field(body, 'circuitOff') === 'on',
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
    const circuit: Record<string, unknown> = texts.circuitOff ? { enabled: false } : previous?.circuit_breaker?.enabled === true ? { enabled: true } : {}
    for (const [form, setting] of CIRCUIT_FIELDS) if (texts[form] !== '') circuit[setting] = Number(texts[form])
    const circuitBreaker = checkedCircuitSettings(circuit)
    return { filter, rateLimit, circuitBreaker, texts }
  } catch (err) {
    if (err instanceof FilterError) return { error: `Filter: ${err.message}`, texts }
    if (err instanceof RateLimitError) return { error: `Rate limit: ${err.message.replace(/^rateLimit\./, '')}`, texts }
    if (err instanceof CircuitSettingsError) return { error: `Circuit breaker: ${err.message.replace(/^circuitBreaker\./, '')}`, texts }
    throw err
  }
}

/** A stored subscription's controls as the form shows them. */
export function controlTexts(sub: SubscriptionRow): ControlTexts {
  return {
    filter: sub.filter ? JSON.stringify(sub.filter, null, 2) : '',
    ratePerSecond: sub.rate_limit ? String(sub.rate_limit.perSecond) : '',
    rateBurst: sub.rate_limit ? String(sub.rate_limit.burst) : '',
    ...Object.fromEntries(CIRCUIT_FIELDS.map(([form, setting]) => [form, sub.circuit_breaker?.[setting] === undefined ? '' : String(sub.circuit_breaker[setting])])),
    circuitOff: sub.circuit_breaker?.enabled === false,
  } as ControlTexts
}
