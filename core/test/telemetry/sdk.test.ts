// Tracing is off unless the standard OTEL_* variables ask for an exporter.
import t from 'tap'
import { startTelemetry, tracingRequested } from '../../src/telemetry/sdk.ts'
import { isTracing } from '../../src/telemetry/tracer.ts'

t.test('which environments turn tracing on', async (t) => {
  const cases: [Record<string, string>, boolean][] = [
    [{}, false],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, true],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' }, true],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: '  ' }, false],
    [{ OTEL_TRACES_EXPORTER: 'console' }, true],
    [{ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, false],
    [{ OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, false],
    [{ OTEL_SERVICE_NAME: 'x' }, false],
  ]
  for (const [env, on] of cases) t.equal(tracingRequested(env), on, JSON.stringify(env))
})

t.test('no endpoint: no SDK, no spans', async (t) => {
  const h = startTelemetry({ serviceName: 'webhook-relay-all', env: {} })
  t.equal(h.enabled, false)
  t.equal(isTracing(), false)
  await h.shutdown()
})
