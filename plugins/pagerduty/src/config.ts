/**
 * The pagerduty subscription config. Every text field but the key and URL is a nunjucks
 * template over the delivery (see template.ts), so one subscription can trigger on one
 * kind of event and resolve on another with the same dedup key.
 */
import Type, { type Static } from 'typebox'

export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue'
export const DEFAULT_EVENT_ACTION = 'trigger'
/** The event id is stable across retries and replays, so PagerDuty folds them into one alert. */
export const DEFAULT_DEDUP_KEY = '{{ event.id }}'
export const DEFAULT_SUMMARY = '{{ event.sourceSlug }}: webhook {{ event.id }}'
export const DEFAULT_SOURCE = '{{ event.sourceSlug }}'
export const DEFAULT_SEVERITY = 'error'
export const DEFAULT_TIMEOUT_MS = 10_000
export const MIN_TIMEOUT_MS = 100
export const MAX_TIMEOUT_MS = 60_000

const template = (description: string, fallback?: string) =>
  Type.Optional(Type.String({ minLength: 1, maxLength: 4096, description, ...(fallback === undefined ? {} : { default: fallback }) }))

export const PagerDutyConfig = Type.Object(
  {
    routingKey: Type.String({ pattern: '^[A-Za-z0-9]{32}$', description: 'Integration (routing) key of an Events API v2 integration: 32 characters.' }),
    url: Type.Optional(
      Type.String({
        format: 'uri',
        pattern: '^[hH][tT][tT][pP][sS]?://',
        default: PAGERDUTY_EVENTS_URL,
        description: 'Events API endpoint; https://events.eu.pagerduty.com/v2/enqueue for the EU service region.',
      }),
    ),
    eventAction: template('Renders to trigger, acknowledge or resolve.', DEFAULT_EVENT_ACTION),
    dedupKey: template('Alerts with the same key are one incident; resolve uses it to find the alert. At most 255 characters once rendered.', DEFAULT_DEDUP_KEY),
    summary: template('Incident title; cut to 1024 characters.', DEFAULT_SUMMARY),
    source: template('The affected system (host name, service).', DEFAULT_SOURCE),
    severity: template('Renders to critical, error, warning or info.', DEFAULT_SEVERITY),
    component: template('Optional: the part of the source that is broken.'),
    group: template('Optional: a logical grouping of components.'),
    class: template('Optional: the class or type of the event.'),
    customDetails: Type.Optional(Type.Boolean({ default: true, description: 'Attach the payload (JSON, or text) as custom_details.' })),
    client: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'Name of the monitoring client shown in PagerDuty.' })),
    clientUrl: Type.Optional(Type.String({ format: 'uri', pattern: '^[hH][tT][tT][pP][sS]?://', description: 'Link shown with the client name.' })),
    timeoutMs: Type.Optional(
      Type.Integer({ minimum: MIN_TIMEOUT_MS, maximum: MAX_TIMEOUT_MS, default: DEFAULT_TIMEOUT_MS, description: 'Time allowed for the whole request.' }),
    ),
  },
  { additionalProperties: false },
)

export type PagerDutyConfig = Static<typeof PagerDutyConfig>
