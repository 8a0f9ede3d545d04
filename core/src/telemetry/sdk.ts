/**
 * Starts OpenTelemetry tracing from the standard OTEL_* variables, or leaves it off.
 *
 * Tracing is on only when an exporter is configured: OTEL_EXPORTER_OTLP_ENDPOINT or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, or OTEL_TRACES_EXPORTER naming an exporter other
 * than `none`. Off means no SDK at all: the relay creates no spans (every call site
 * checks `isTracing()` first), so the ingest path pays nothing. OTEL_SDK_DISABLED=true
 * wins over everything. Metrics stay with prom-client (/metrics) and logs with pino
 * (stdout), so the SDK gets no metric readers and no log processors.
 */
import { NodeSDK } from '@opentelemetry/sdk-node'
import type { SpanProcessor } from '@opentelemetry/sdk-trace'
import { setTracing } from './tracer.ts'

export interface TelemetryHandle {
  readonly enabled: boolean
  /** Flushes buffered spans and stops the exporter; safe to call twice. */
  shutdown(): Promise<void>
}

export interface TelemetryOptions {
  /** service.name unless OTEL_SERVICE_NAME is set, e.g. `webhook-relay-worker`. */
  serviceName: string
  env?: NodeJS.ProcessEnv
  /** Tests: span processors to use instead of the exporter the environment names. */
  spanProcessors?: SpanProcessor[]
}

/** Whether the environment asks for traces to be exported. */
export function tracingRequested(env: NodeJS.ProcessEnv): boolean {
  if (/^true$/i.test(env.OTEL_SDK_DISABLED?.trim() ?? '')) return false
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '').split(',').map((s) => s.trim()).filter(Boolean)
  if (exporters.length > 0) return exporters.some((e) => e !== 'none')
  return !!(env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim())
}

export function startTelemetry(o: TelemetryOptions): TelemetryHandle {
  const env = o.env ?? process.env
  if (!o.spanProcessors && !tracingRequested(env)) return { enabled: false, shutdown: async () => {} }
  const sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME ? undefined : o.serviceName,
    // Manual spans only: auto-instrumentation would add a span per Redis command and
    // per pg query, and needs an ESM loader hook; the relay's own spans say more.
    instrumentations: [],
    metricReaders: [],
    logRecordProcessors: [],
    ...(o.spanProcessors ? { spanProcessors: o.spanProcessors } : {}),
  })
  sdk.start()
  setTracing(true)
  let done: Promise<void> | null = null
  return {
    enabled: true,
    shutdown() {
      done ??= sdk.shutdown().finally(() => setTracing(false))
      return done
    },
  }
}
