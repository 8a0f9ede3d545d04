/**
 * The rule for message plugins (Slack, Discord, …) and transforms: a transform's output
 * is what the action sends. When the subscription has a transform and no message
 * templates of its own, the plugin sends the transform's JSON object as the message
 * (after its own checks), instead of rendering its presets, which would read the
 * transformed payload as if it were the original event.
 */
import type { Payload } from './contract.ts'

export type TransformedMessage = { readonly ok: true; readonly message: Record<string, unknown> } | { readonly ok: false; readonly reason: string }

/** undefined when the payload is not a transform's output: the plugin renders as usual. */
export function transformedMessage(payload: Payload, shape: string): TransformedMessage | undefined {
  if (!payload.transformed) return undefined
  let value: unknown
  try {
    value = JSON.parse(payload.body.toString('utf8'))
  } catch {
    return { ok: false, reason: `the transform's output is not JSON; return a ${shape} object from the transform, or set the message templates` }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, reason: `the transform's output is not a ${shape} object; return one from the transform, or set the message templates` }
  }
  return { ok: true, message: value as Record<string, unknown> }
}
