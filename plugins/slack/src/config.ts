/** The Slack subscription config. Templates are nunjucks source strings (see template.ts). */
import Type, { type Static } from 'typebox'

export const DEFAULT_TIMEOUT_MS = 10_000
export const MIN_TIMEOUT_MS = 100
export const MAX_TIMEOUT_MS = 30_000
export const MAX_TEMPLATE_CHARS = 20_000
export const PRESETS = ['auto', 'github', 'generic'] as const
export const DEFAULT_PRESET = 'auto'

export const SlackConfig = Type.Object(
  {
    webhookUrl: Type.String({
      format: 'uri',
      pattern: '^[hH][tT][tT][pP][sS]?://',
      description: 'The incoming-webhook URL Slack gave you (https://hooks.slack.com/services/…). Secret.',
    }),
    text: Type.Optional(
      Type.String({ minLength: 1, maxLength: MAX_TEMPLATE_CHARS, description: 'Nunjucks template of the message text (Slack mrkdwn). Also the notification fallback when blocks are used.' }),
    ),
    blocks: Type.Optional(
      Type.String({ minLength: 1, maxLength: MAX_TEMPLATE_CHARS, description: 'Nunjucks template that renders a JSON array of Block Kit blocks.' }),
    ),
    preset: Type.Optional(
      Type.Union(PRESETS.map((p) => Type.Literal(p)), {
        default: DEFAULT_PRESET,
        description: 'Built-in templates used where text or blocks are not given. auto: github for GitHub events (X-GitHub-Event), generic otherwise.',
      }),
    ),
    timeoutMs: Type.Optional(Type.Integer({ minimum: MIN_TIMEOUT_MS, maximum: MAX_TIMEOUT_MS, default: DEFAULT_TIMEOUT_MS })),
  },
  { additionalProperties: false },
)
export type SlackConfig = Static<typeof SlackConfig>
