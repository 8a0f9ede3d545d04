/**
 * The opsgenie subscription config. Every text field but the key, region and URL is a
 * nunjucks template over the delivery (see template.ts), so one subscription can create
 * an alert on one kind of event and close it on another with the same alias.
 */
import Type, { type Static } from 'typebox'

export const REGIONS = ['us', 'eu'] as const
export type Region = (typeof REGIONS)[number]
/** The Alert API's host per Opsgenie instance; an account lives in exactly one. */
export const OPSGENIE_API_URLS: Readonly<Record<Region, string>> = {
  us: 'https://api.opsgenie.com',
  eu: 'https://api.eu.opsgenie.com',
}
export const DEFAULT_REGION: Region = 'us'
export const DEFAULT_ACTION = 'create'
/** The event id is stable across retries and replays, so Opsgenie folds them into one alert. */
export const DEFAULT_ALIAS = '{{ event.id }}'
export const DEFAULT_MESSAGE = '{{ event.sourceSlug }}: webhook {{ event.id }}'
export const DEFAULT_DESCRIPTION = '{{ body }}'
export const DEFAULT_SOURCE = '{{ event.sourceSlug }}'
export const DEFAULT_PRIORITY = 'P3'
export const DEFAULT_TIMEOUT_MS = 10_000
export const MIN_TIMEOUT_MS = 100
export const MAX_TIMEOUT_MS = 60_000
/** Opsgenie's own limits on tags and responders per alert. */
export const MAX_TAGS = 20
export const MAX_RESPONDERS = 50
export const MAX_DETAILS = 50

const template = (description: string, fallback?: string) =>
  Type.Optional(Type.String({ minLength: 1, maxLength: 4096, description, ...(fallback === undefined ? {} : { default: fallback }) }))

const Responder = Type.Object(
  {
    type: Type.Union([Type.Literal('team'), Type.Literal('user'), Type.Literal('escalation'), Type.Literal('schedule')]),
    id: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'For team, escalation and schedule.' })),
    username: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'For user: the login e-mail address.' })),
  },
  // Opsgenie finds a responder by one of these; without any it answers 422.
  { additionalProperties: false, anyOf: [{ required: ['id'] }, { required: ['name'] }, { required: ['username'] }] },
)

export const OpsgenieConfig = Type.Object(
  {
    // Opsgenie keys are UUIDs; letters, digits and dashes only, so nothing can ride into the header.
    apiKey: Type.String({ pattern: '^[A-Za-z0-9-]{20,64}$', description: 'API key of an API (or REST API HTTPS) integration: a UUID.' }),
    region: Type.Optional(
      Type.Union([Type.Literal('us'), Type.Literal('eu')], { default: DEFAULT_REGION, description: 'us: api.opsgenie.com; eu: api.eu.opsgenie.com. Must match the account.' }),
    ),
    baseUrl: Type.Optional(
      Type.String({
        format: 'uri',
        pattern: '^[hH][tT][tT][pP][sS]?://',
        description: 'Overrides region with another API origin, for tests or an egress proxy. /v2/alerts is appended.',
      }),
    ),
    action: template('Renders to create, acknowledge or close.', DEFAULT_ACTION),
    alias: template('Alerts with the same alias are one alert; acknowledge and close use it to find the alert. At most 512 characters once rendered.', DEFAULT_ALIAS),
    message: template('Alert title; cut to 130 characters.', DEFAULT_MESSAGE),
    description: template('Alert body; cut to 15000 characters. Left out when it renders empty.', DEFAULT_DESCRIPTION),
    priority: template('Renders to P1, P2, P3, P4 or P5.', DEFAULT_PRIORITY),
    source: template('Where the alert came from; cut to 100 characters. Also sent with acknowledge and close.', DEFAULT_SOURCE),
    entity: template('Optional: the domain of the alert (server, service); cut to 512 characters.'),
    note: template('Optional: a note added to the alert on create, acknowledge or close; cut to 25000 characters.'),
    tags: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 1024 }), {
        maxItems: MAX_TAGS,
        description: 'Tag templates; each cut to 50 characters, empty ones and repeats left out.',
      }),
    ),
    details: Type.Optional(
      Type.Record(Type.String(), Type.String({ minLength: 1, maxLength: 4096 }), {
        maxProperties: MAX_DETAILS,
        propertyNames: { minLength: 1, maxLength: 128 },
        description: 'Custom properties: key to value template. Values that render empty are left out; keys and values together are kept within 8000 characters.',
      }),
    ),
    responders: Type.Optional(
      Type.Array(Responder, { minItems: 1, maxItems: MAX_RESPONDERS, description: 'Teams, users, escalations or schedules notified of a created alert.' }),
    ),
    timeoutMs: Type.Optional(
      Type.Integer({ minimum: MIN_TIMEOUT_MS, maximum: MAX_TIMEOUT_MS, default: DEFAULT_TIMEOUT_MS, description: 'Time allowed for the whole request.' }),
    ),
  },
  { additionalProperties: false },
)

export type OpsgenieConfig = Static<typeof OpsgenieConfig>
