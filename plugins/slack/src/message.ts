/**
 * Builds the Slack message for one delivery: `text` always (Slack shows it in
 * notifications and where blocks cannot be drawn), `blocks` when a blocks template
 * applies. Throws on a template that does not render or renders something Slack would
 * refuse; the plugin turns that into a permanent failure.
 */
import { transformedMessage, type DeliveryInput } from '@webhook-relay/plugin-sdk'
import { DEFAULT_PRESET, type SlackConfig } from './config.ts'
import { presetFor } from './presets.ts'
import { render, templateContext } from './template.ts'

/** Slack truncates longer text anyway; sending less keeps the request small. */
export const MAX_TEXT_CHARS = 40_000
export const MAX_BLOCKS = 50

export interface SlackMessage {
  text: string
  blocks?: unknown[]
}

export function buildMessage(input: Pick<DeliveryInput<SlackConfig>, 'event' | 'payload' | 'delivery' | 'config'>): SlackMessage {
  const { config } = input
  // A transform's output is the message, unless templates are set to render it.
  const fromTransform = config.text || config.blocks ? undefined : transformedMessage(input.payload, 'Slack message ({"text": …, "blocks": […]})')
  if (fromTransform) return slackMessage(fromTransform)
  const context = templateContext(input)
  const preset = presetFor(config.preset ?? DEFAULT_PRESET, context.event.headers)
  let text = render(config.text ? 'text' : `${preset.name} text`, config.text ?? preset.text, context).trim()
  // `text` must never be empty: a user template that rendered nothing falls back to the generic line.
  if (!text) text = render('generic text', presetFor('generic', {}).text, context).trim()
  text = text.slice(0, MAX_TEXT_CHARS)

  // A custom text alone means "just this text"; otherwise the preset's blocks come along.
  const blocksSource = config.blocks ?? (config.text ? undefined : preset.blocks)
  if (!blocksSource) return { text }
  const rendered = render(config.blocks ? 'blocks' : `${preset.name} blocks`, blocksSource, { ...context, text } as typeof context)
  let parsed: unknown
  try {
    parsed = JSON.parse(rendered)
  } catch (err) {
    throw new Error(`blocks template did not render JSON: ${(err as Error).message}`, { cause: err })
  }
  const blocks = Array.isArray(parsed) ? parsed : (parsed as { blocks?: unknown } | null)?.blocks
  if (!Array.isArray(blocks)) throw new Error('blocks template must render a JSON array of blocks (or {"blocks": [...]})')
  if (blocks.length > MAX_BLOCKS) throw new Error(`blocks template rendered ${blocks.length} blocks; Slack takes at most ${MAX_BLOCKS}`)
  return blocks.length ? { text, blocks } : { text }
}

function slackMessage(t: NonNullable<ReturnType<typeof transformedMessage>>): SlackMessage {
  if (!t.ok) throw new Error(t.reason)
  const { text, blocks } = t.message
  if (typeof text !== 'string' || text.trim() === '') throw new Error('the transform\'s Slack message needs a non-empty "text" (Slack shows it in notifications)')
  if (blocks !== undefined && !Array.isArray(blocks)) throw new Error('the transform\'s Slack message has "blocks" that is not an array')
  if (Array.isArray(blocks) && blocks.length > MAX_BLOCKS) throw new Error(`the transform's Slack message has ${blocks.length} blocks; Slack takes at most ${MAX_BLOCKS}`)
  return { ...t.message, text: text.slice(0, MAX_TEXT_CHARS) } as SlackMessage
}
