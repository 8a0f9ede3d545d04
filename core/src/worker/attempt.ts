/**
 * Attempt task: one claimed delivery through its transform and its action plugin, to an
 * outcome (ok, retry, fail, skip). Never throws: whatever goes wrong on the worker's
 * side is a retry with the reason, so a claim always ends in a recorded attempt.
 */
import { context, SpanStatusCode } from '@opentelemetry/api'
import type { Logger } from 'pino'
import type { AttemptOutcome } from '../delivery/decide.ts'
import type { Claim } from '../delivery/transitions.ts'
import type { ActionContext, HttpClient, Payload, Signer, TcpConnect } from '../plugin/contract.ts'
import type { PluginHost } from '../plugin/host.ts'
import { toEventView, type EventRow } from '../store/events.ts'
import { ATTR } from '../telemetry/attributes.ts'
import { isTracing, traced, traceHeadersOf, tracer } from '../telemetry/tracer.ts'
import type { TransformRunner } from '../transform/types.ts'
import type { Loader, OpenedSubscription } from './load.ts'

export interface AttemptDeps {
  readonly plugins: PluginHost
  readonly transforms: TransformRunner | null
  readonly loader: Loader
  readonly http: HttpClient
  readonly connect: TcpConnect
  readonly signer: Signer
  readonly log: Logger
}

/** The outcome, and the subscription when it could be loaded (for labels and spans). */
export interface Attempted {
  readonly outcome: AttemptOutcome
  readonly subscription: OpenedSubscription | null
}

export async function attempt(d: AttemptDeps, c: Claim, event: EventRow | undefined, shutdown: AbortSignal): Promise<Attempted> {
  let sub: OpenedSubscription | null = null
  try {
    if (!event) return { outcome: { outcome: 'retry', reason: `event ${c.event_id} no longer exists` }, subscription: null }
    sub = await d.loader.subscription(c.subscription_id)
    const manifest = d.plugins.get(sub.action)
    // During a rolling deploy a worker may not have a plugin yet: another worker (or
    // this one, upgraded) can still deliver it, so this is not a permanent failure.
    if (!manifest) return { outcome: { outcome: 'retry', reason: `action plugin "${sub.action}" is not installed on this worker` }, subscription: sub }

    let payload: Payload = { body: event.body, contentType: event.content_type ?? 'application/octet-stream', headers: {} }
    const view = toEventView(event)
    if (sub.transform_version_id) {
      const t = await transform(d, sub.transform_version_id, view)
      if ('outcome' in t) return { outcome: t, subscription: sub }
      payload = { ...t.payload, transformed: true }
    }

    const signal = AbortSignal.any([AbortSignal.timeout(c.timeout_ms), shutdown])
    // Captured here, inside the attempt's span: the plugin may call it from any callback.
    const active = context.active()
    const ctx: ActionContext = {
      http: d.http,
      connect: d.connect,
      log: d.log.child({ deliveryId: c.id, action: sub.action }),
      signer: d.signer,
      traceHeaders: () => (isTracing() ? traceHeadersOf(active) : {}),
    }
    try {
      const outcome = await manifest.deliver(
        {
          event: view,
          payload,
          config: sub.openedConfig,
          subscription: { id: sub.id, signingSecrets: sub.signingSecrets },
          delivery: { id: c.id, webhookId: c.webhook_id, attempt: c.attempt_count },
          signal,
        },
        ctx,
      )
      return { outcome, subscription: sub }
    } catch (err) {
      // A plugin should return retry/fail, not throw; a throw is treated as transient.
      const reason = signal.aborted ? `timed out after ${c.timeout_ms} ms` : `plugin ${sub.action} threw: ${(err as Error).message}`
      return { outcome: { outcome: 'retry', reason }, subscription: sub }
    }
  } catch (err) {
    return { outcome: { outcome: 'retry', reason: `worker error: ${(err as Error).message}` }, subscription: sub }
  }
}

async function transform(d: AttemptDeps, versionId: string, view: ReturnType<typeof toEventView>): Promise<{ payload: Payload } | AttemptOutcome> {
  if (!d.transforms) return { outcome: 'fail', reason: 'transform: this worker has no transform runner' }
  const code = await d.loader.transformCode(versionId)
  const runner = d.transforms
  const span = isTracing() ? tracer.startSpan('transform', { attributes: { [ATTR.transformVersion]: versionId } }) : undefined
  const t = await traced(span, async () => {
    const r = await runner.run(code, view)
    span?.setAttribute(ATTR.transformResult, r.kind)
    if (r.kind === 'error') span?.setStatus({ code: SpanStatusCode.ERROR, message: r.error.message })
    return r
  })
  if (t.kind === 'skip') return { outcome: 'skip', reason: 'transform returned null' }
  if (t.kind === 'error') {
    const at = t.error.line ? ` (line ${t.error.line}${t.error.column ? `:${t.error.column}` : ''})` : ''
    return { outcome: 'fail', reason: `transform ${t.error.kind} error: ${t.error.message}${at}` }
  }
  return { payload: t.payload }
}
