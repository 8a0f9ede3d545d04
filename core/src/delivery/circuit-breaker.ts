/**
 * Circuit breaker settings: what they are, their bounds, the defaults, and the probe
 * interval. One module for the API, the UI form and the worker's circuit task
 * (worker/circuit-task.ts), so a setting means the same everywhere
 * (docs/delivery-control.md).
 *
 * A subscription stores only what it sets (a partial object, or null); the rest comes
 * from the relay's defaults (RELAY_CIRCUIT_*), so changing a default changes every
 * subscription that did not choose otherwise.
 */
import Type from 'typebox'
import { SettingError } from '../setting-error.ts'

export interface CircuitSettings {
  /** Off: failures are retried on their schedule, nothing is held, nothing disabled. */
  readonly enabled: boolean
  /** Failed attempts in a row that open the circuit. */
  readonly failures: number
  /** The first probe this long after opening; the interval doubles after each failed probe, up to MAX_PROBE_INTERVAL_S. */
  readonly probeAfterSeconds: number
  /** A circuit open this long (since it first opened) disables its subscription; 0: never. */
  readonly disableAfterHours: number
}

export type CircuitSettingsInput = Partial<CircuitSettings>

/** Svix disables an endpoint after 5 days of failure; so do we, by default. */
export const CIRCUIT_DEFAULTS: CircuitSettings = { enabled: true, failures: 10, probeAfterSeconds: 60, disableAfterHours: 120 }
export const MAX_PROBE_INTERVAL_S = 3_600
const LIMITS = {
  failures: { min: 1, max: 100_000, integer: true },
  probeAfterSeconds: { min: 1, max: MAX_PROBE_INTERVAL_S, integer: false },
  disableAfterHours: { min: 0, max: 8_760, integer: false },
} as const

export const CircuitBreakerSchema = Type.Object(
  {
    enabled: Type.Optional(Type.Boolean({ description: 'false: never opened, never disabled' })),
    failures: Type.Optional(Type.Integer({ minimum: LIMITS.failures.min, maximum: LIMITS.failures.max, description: 'failed attempts in a row that open the circuit' })),
    probeAfterSeconds: Type.Optional(Type.Number({ minimum: LIMITS.probeAfterSeconds.min, maximum: LIMITS.probeAfterSeconds.max, description: 'first probe after this long; doubles after each failed probe, up to an hour' })),
    disableAfterHours: Type.Optional(Type.Number({ minimum: LIMITS.disableAfterHours.min, maximum: LIMITS.disableAfterHours.max, description: 'disable the subscription after failing this long; 0: never' })),
  },
  { additionalProperties: false },
)

export class CircuitSettingsError extends SettingError {
  readonly code = 'RELAY_ERR_INVALID_CIRCUIT_BREAKER'
  override name = 'CircuitSettingsError'
}

/** Settings as given (API body, form), checked; null or undefined, or an empty object: the defaults. Throws naming the field. */
export function checkedCircuitSettings(value: unknown, where = 'circuitBreaker'): CircuitSettingsInput | null {
  if (value === null || value === undefined) return null
  if (typeof value !== 'object' || Array.isArray(value)) throw new CircuitSettingsError(where, 'the settings are an object { "failures", "probeAfterSeconds", "disableAfterHours", "enabled" }')
  const out: Record<string, number | boolean> = {}
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (k === 'enabled') {
      if (typeof v !== 'boolean') throw new CircuitSettingsError(`${where}.enabled`, 'true or false')
      out.enabled = v
      continue
    }
    const limit = LIMITS[k as keyof typeof LIMITS]
    if (!limit) throw new CircuitSettingsError(`${where}.${k}`, 'unknown field; the settings are failures, probeAfterSeconds, disableAfterHours, enabled')
    if (typeof v !== 'number' || !Number.isFinite(v) || v < limit.min || v > limit.max || (limit.integer && !Number.isInteger(v))) {
      throw new CircuitSettingsError(`${where}.${k}`, `a ${limit.integer ? 'whole ' : ''}number from ${limit.min} to ${limit.max}`)
    }
    out[k] = v
  }
  return Object.keys(out).length ? (out as CircuitSettingsInput) : null
}

/**
 * The subscription's own settings over the relay's defaults. A threshold of its own turns
 * the breaker on for it even where the relay's default is off (RELAY_CIRCUIT_FAILURES=0):
 * nobody sets a threshold to have it ignored. `enabled: false` always wins.
 */
export function effectiveCircuit(own: CircuitSettingsInput | null, defaults: CircuitSettings = CIRCUIT_DEFAULTS): CircuitSettings {
  const enabled = own?.enabled ?? (own?.failures !== undefined ? true : defaults.enabled)
  return { ...defaults, ...(own ?? {}), enabled }
}

/** How long a circuit stays open after its `opens`-th opening before the next probe. */
export function probeIntervalMs(opens: number, s: CircuitSettings): number {
  return Math.min(s.probeAfterSeconds * 2 ** Math.max(0, opens - 1), MAX_PROBE_INTERVAL_S) * 1000
}
