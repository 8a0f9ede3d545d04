/** The Discord subscription config. Templates are nunjucks source strings (see template.ts). */
import Type, { type Static } from 'typebox'

export const DEFAULT_TIMEOUT_MS = 10_000
export const MIN_TIMEOUT_MS = 100
export const MAX_TIMEOUT_MS = 30_000
export const MAX_TEMPLATE_CHARS = 20_000
export const PRESETS = ['auto', 'github', 'generic'] as const
export const DEFAULT_PRESET = 'auto'
export const MENTION_TYPES = ['users', 'roles', 'everyone'] as const

export const DiscordConfig = Type.Object(
  {
    webhookUrl: Type.String({
      format: 'uri',
      pattern: '^[hH][tT][tT][pP][sS]?://',
      description: 'The channel webhook URL (https://discord.com/api/webhooks/<id>/<token>). Secret.',
    }),
    content: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_TEMPLATE_CHARS, description: 'Nunjucks template of the message content (Discord markdown, cut at 2000 characters).' })),
    embeds: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_TEMPLATE_CHARS, description: 'Nunjucks template that renders a JSON array of up to 10 embeds.' })),
    preset: Type.Optional(Type.Union(PRESETS.map((p) => Type.Literal(p)), { default: DEFAULT_PRESET, description: 'Built-in content where none is given. auto: github for GitHub events, generic otherwise.' })),
    username: Type.Optional(Type.String({ minLength: 1, maxLength: 80, description: 'Overrides the webhook’s name.' })),
    avatarUrl: Type.Optional(Type.String({ format: 'uri', pattern: '^[hH][tT][tT][pP][sS]://', description: 'Overrides the webhook’s avatar.' })),
    allowedMentions: Type.Optional(
      Type.Array(Type.Union(MENTION_TYPES.map((m) => Type.Literal(m))), {
        uniqueItems: true,
        default: [],
        description: 'Which mentions in the content may ping. Default none: a payload cannot ping @everyone.',
      }),
    ),
    threadId: Type.Optional(Type.String({ pattern: '^[0-9]{1,20}$', description: 'Post into this thread of the channel (or forum).' })),
    timeoutMs: Type.Optional(Type.Integer({ minimum: MIN_TIMEOUT_MS, maximum: MAX_TIMEOUT_MS, default: DEFAULT_TIMEOUT_MS })),
  },
  { additionalProperties: false },
)
export type DiscordConfig = Static<typeof DiscordConfig>
