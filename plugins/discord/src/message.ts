/**
 * Builds the Discord execute-webhook body for one delivery. Throws on a template that
 * does not render or renders what Discord would refuse; the plugin fails permanently.
 */
import { transformedMessage, type DeliveryInput } from '@webhook-relay/plugin-sdk'
import { DEFAULT_PRESET, type DiscordConfig } from './config.ts'
import { presetFor } from './presets.ts'
import { render, templateContext } from './template.ts'

export const MAX_CONTENT_CHARS = 2000
export const MAX_EMBEDS = 10

export interface DiscordMessage {
  content?: string
  embeds?: unknown[]
  username?: string
  avatar_url?: string
  allowed_mentions: { parse: string[] }
}

export function buildMessage(input: Pick<DeliveryInput<DiscordConfig>, 'event' | 'payload' | 'delivery' | 'config'>): DiscordMessage {
  const { config } = input
  // A transform's output is the message, unless templates are set to render it.
  const fromTransform = config.content || config.embeds ? undefined : transformedMessage(input.payload, 'Discord message ({"content": …, "embeds": […]})')
  if (fromTransform) {
    if (!fromTransform.ok) throw new Error(fromTransform.reason)
    const m = fromTransform.message
    if ((typeof m.content !== 'string' || m.content === '') && !(Array.isArray(m.embeds) && m.embeds.length)) throw new Error('the transform\'s Discord message needs "content" or "embeds"')
    if (Array.isArray(m.embeds) && m.embeds.length > MAX_EMBEDS) throw new Error(`the transform's Discord message has ${m.embeds.length} embeds; Discord takes at most ${MAX_EMBEDS}`)
    // Mentions stay as the subscription allows, whatever the transform says.
    return { ...m, allowed_mentions: { parse: [...(config.allowedMentions ?? [])] } } as DiscordMessage
  }
  const context = templateContext(input)
  const preset = presetFor(config.preset ?? DEFAULT_PRESET, context.event.headers)
  let embeds: unknown[] | undefined
  if (config.embeds) {
    let parsed: unknown
    try {
      parsed = JSON.parse(render('embeds', config.embeds, context))
    } catch (err) {
      throw new Error(`embeds template did not render JSON: ${(err as Error).message}`, { cause: err })
    }
    if (!Array.isArray(parsed)) throw new Error('embeds template must render a JSON array of embeds')
    if (parsed.length > MAX_EMBEDS) throw new Error(`embeds template rendered ${parsed.length} embeds; Discord takes at most ${MAX_EMBEDS}`)
    if (parsed.length) embeds = parsed
  }
  // Content from the template, or the preset's when there is neither a content template nor embeds.
  const source = config.content ?? (embeds ? undefined : preset.content)
  let content = source ? render(config.content ? 'content' : `${preset.name} content`, source, context).trim() : ''
  // Discord refuses an empty message (50006); a content template that rendered nothing falls back to the generic one.
  if (!content && !embeds) content = render('generic content', presetFor('generic', {}).content, context).trim()
  if (content.length > MAX_CONTENT_CHARS) content = `${content.slice(0, MAX_CONTENT_CHARS - 1)}…`
  return {
    ...(content ? { content } : {}),
    ...(embeds ? { embeds } : {}),
    ...(config.username ? { username: config.username } : {}),
    ...(config.avatarUrl ? { avatar_url: config.avatarUrl } : {}),
    allowed_mentions: { parse: [...(config.allowedMentions ?? [])] },
  }
}
