/**
 * The subscription config. The relay validates it against this schema when a
 * subscription is created or updated, and hands it to deliver() as stored: optional
 * fields stay undefined, so the defaults below are applied in code, and each schema
 * `default` repeats its constant only to draw the form.
 */
import Type, { type Static } from 'typebox'

export const DEFAULT_TIMEOUT_MS = 10_000
export const MIN_TIMEOUT_MS = 100
export const MAX_TIMEOUT_MS = 30_000
export const MAX_TEMPLATE_CHARS = 4_000
/** Mattermost splits longer posts; one readable post is the point, so the default message cuts the body here. */
export const MAX_BODY_CHARS = 3_000

export const MattermostConfig = Type.Object(
  {
    webhookUrl: Type.String({
      format: 'uri',
      pattern: '^[hH][tT][tT][pP][sS]?://',
      description: 'The incoming-webhook URL Mattermost gave you (https://chat.example.com/hooks/<key>). Secret.',
    }),
    text: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: MAX_TEMPLATE_CHARS,
        description: 'Message template (Mattermost Markdown). {{payload.a.b}} reads the JSON payload; {{event.source}}, {{event.id}}, {{event.receivedAt}} describe the event.',
      }),
    ),
    channel: Type.Optional(
      Type.String({ minLength: 1, maxLength: 64, description: 'Post to this channel (its name, e.g. town-square) or @username instead of the webhook’s own channel.' }),
    ),
    username: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Post as this name (the server must allow integrations to override usernames).' })),
    iconUrl: Type.Optional(Type.String({ format: 'uri', pattern: '^[hH][tT][tT][pP][sS]?://', description: 'Profile picture URL for the post.' })),
    iconEmoji: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Emoji name used as the profile picture, e.g. rocket.' })),
    timeoutMs: Type.Optional(Type.Integer({ minimum: MIN_TIMEOUT_MS, maximum: MAX_TIMEOUT_MS, default: DEFAULT_TIMEOUT_MS })),
  },
  { additionalProperties: false },
)
export type MattermostConfig = Static<typeof MattermostConfig>
