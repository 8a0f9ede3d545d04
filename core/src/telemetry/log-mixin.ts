/**
 * pino mixin: every log line written while a span is active carries `trace_id` and
 * `span_id` (the names Loki's derived field and Grafana's trace links look for).
 */
import { trace } from '@opentelemetry/api'

export function traceLogMixin(): Record<string, string> {
  const span = trace.getActiveSpan()
  if (!span) return {}
  const { traceId, spanId, traceFlags } = span.spanContext()
  return { trace_id: traceId, span_id: spanId, trace_flags: `0${traceFlags.toString(16)}`.slice(-2) }
}
