// Circuit breaker settings: the one check the API and the form share, the defaults they
// fall back on, and the probe interval that doubles up to an hour.
import t from 'tap'
import { CIRCUIT_DEFAULTS, checkedCircuitSettings, effectiveCircuit, MAX_PROBE_INTERVAL_S, probeIntervalMs } from '../../src/delivery/circuit-breaker.ts'

t.test('settings are checked field by field; only what is set is kept', async (t) => {
  t.same(checkedCircuitSettings({ failures: 3 }), { failures: 3 })
  t.same(checkedCircuitSettings({ enabled: false }), { enabled: false })
  t.same(checkedCircuitSettings({ probeAfterSeconds: 0.5 + 0.5, disableAfterHours: 0 }), { probeAfterSeconds: 1, disableAfterHours: 0 })
  t.equal(checkedCircuitSettings({}), null, 'nothing set: the defaults')
  t.equal(checkedCircuitSettings(null), null)
  const refused: [unknown, RegExp][] = [
    [{ failures: 0 }, /^circuitBreaker\.failures: a whole number from 1 to 100000$/],
    [{ failures: 1.5 }, /^circuitBreaker\.failures/],
    [{ probeAfterSeconds: 0 }, /^circuitBreaker\.probeAfterSeconds: a number from 1 to 3600$/],
    [{ disableAfterHours: 9000 }, /^circuitBreaker\.disableAfterHours/],
    [{ enabled: 'no' }, /^circuitBreaker\.enabled: true or false$/],
    [{ threshold: 3 }, /^circuitBreaker\.threshold: unknown field/],
    [[], /^circuitBreaker: the settings are an object/],
  ]
  for (const [value, message] of refused) {
    t.throws(() => checkedCircuitSettings(value), { name: 'CircuitSettingsError', code: 'RELAY_ERR_INVALID_CIRCUIT_BREAKER', statusCode: 400, message }, JSON.stringify(value))
  }
})

t.test("a subscription's settings over the relay's defaults", async (t) => {
  t.same(effectiveCircuit(null), CIRCUIT_DEFAULTS)
  t.same(CIRCUIT_DEFAULTS, { enabled: true, failures: 10, probeAfterSeconds: 60, disableAfterHours: 120 }, 'Svix-like: five days failing disables')
  const defaults = { ...CIRCUIT_DEFAULTS, failures: 20 }
  t.same(effectiveCircuit({ disableAfterHours: 0 }, defaults), { ...defaults, disableAfterHours: 0 })
  const off = { ...CIRCUIT_DEFAULTS, enabled: false }
  t.equal(effectiveCircuit({ failures: 4 }, off).enabled, true, 'a threshold of its own turns it on where the relay has it off')
  t.equal(effectiveCircuit({ probeAfterSeconds: 5 }, off).enabled, false, 'other settings alone do not')
  t.equal(effectiveCircuit({ failures: 4, enabled: false }).enabled, false, 'off wins')
})

t.test('the probe interval doubles with each opening, up to an hour', async (t) => {
  const s = effectiveCircuit({ probeAfterSeconds: 60 })
  t.same([1, 2, 3, 4].map((n) => probeIntervalMs(n, s) / 1000), [60, 120, 240, 480])
  t.equal(probeIntervalMs(20, s), MAX_PROBE_INTERVAL_S * 1000)
})
