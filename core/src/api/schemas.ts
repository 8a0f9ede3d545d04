/** TypeBox schemas of the REST contract's request bodies and parameters. */
import Type from 'typebox'
import { VerificationSchema } from '../ingest/verify/index.ts'
import { DELIVERY_STATUSES } from '../delivery/status.ts'
import { RateLimitSchema } from '../delivery/rate-limit.ts'
import { CircuitBreakerSchema } from '../delivery/circuit-breaker.ts'

export const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) })
export const Paging = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  before: Type.Optional(Type.String({ format: 'uuid', description: 'id of the last item of the previous page' })),
}

const SourceFields = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  slug: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,99}$', description: 'URL segment: POST /in/<slug>' }),
  mode: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('record')], { default: 'active' })),
  enabled: Type.Optional(Type.Boolean({ default: true })),
  verification: Type.Optional(Type.Union([Type.Null(), VerificationSchema])),
  idempotencyHeader: Type.Optional(Type.Union([Type.Null(), Type.String({ minLength: 1, maxLength: 200, description: 'header name, body:<path>, or none' })])),
  maxBodyBytes: Type.Optional(Type.Union([Type.Null(), Type.Integer({ minimum: 1, maximum: 64 * 1024 * 1024 })])),
}
export const SourceCreate = Type.Object(SourceFields, { additionalProperties: false })
export const SourceUpdate = Type.Object(
  Object.fromEntries(Object.entries(SourceFields).map(([k, v]) => [k, Type.Optional(v)])),
  { additionalProperties: false },
)

/** Checked in full by compileFilter (filter/event-filter.ts), which names the first problem's location. */
const FilterField = Type.Union([
  Type.Null(),
  Type.Record(Type.String(), Type.Unknown(), {
    description: 'Event filter, checked at fan-out: a condition { "path": "$.a.b" | "header": "name", and one of "equals", "in", "exists", "prefix" }, or { "all" | "any": [rules] }, or { "not": rule }. Rejected events get no delivery and are listed on the event as filteredSubscriptions. null: every event (docs/filters.md).',
  }),
])

const RateLimitField = Type.Union([Type.Null(), RateLimitSchema], {
  description: "Rate limit across all workers (token bucket): at most burst + perSecond x W deliveries start in any W seconds; the rest wait for their turn, no attempt counted. null: the action's default (Slack 1/s, Discord 0.5/s burst 5), if any (docs/delivery-control.md).",
})

const CircuitBreakerField = Type.Union([Type.Null(), CircuitBreakerSchema], {
  description: 'Circuit breaker: after `failures` failed attempts in a row the subscription is opened (deliveries wait, one probe at a growing interval); a success closes it; open longer than `disableAfterHours`, it is disabled. Only what is set here; the rest, and null, are the relay defaults (RELAY_CIRCUIT_*; docs/delivery-control.md).',
})

export const SubscriptionCreate = Type.Object(
  {
    sourceId: Type.String({ format: 'uuid' }),
    action: Type.String({ minLength: 1 }),
    config: Type.Record(Type.String(), Type.Unknown()),
    enabled: Type.Optional(Type.Boolean({ default: true })),
    transformVersionId: Type.Optional(Type.Union([Type.Null(), Type.String({ format: 'uuid' })])),
    description: Type.Optional(Type.Union([Type.Null(), Type.String({ maxLength: 1000 })])),
    filter: Type.Optional(FilterField),
    rateLimit: Type.Optional(RateLimitField),
    circuitBreaker: Type.Optional(CircuitBreakerField),
  },
  { additionalProperties: false },
)
export const SubscriptionUpdate = Type.Object(
  {
    config: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    enabled: Type.Optional(Type.Boolean()),
    transformVersionId: Type.Optional(Type.Union([Type.Null(), Type.String({ format: 'uuid' })])),
    description: Type.Optional(Type.Union([Type.Null(), Type.String({ maxLength: 1000 })])),
    filter: Type.Optional(FilterField),
    rateLimit: Type.Optional(RateLimitField),
    circuitBreaker: Type.Optional(CircuitBreakerField),
  },
  { additionalProperties: false },
)
export const RotateBody = Type.Object(
  { graceSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 30 * 86400, default: 86400 })) },
  { additionalProperties: false },
)
export const ReplayBody = Type.Object({ subscriptionId: Type.String({ format: 'uuid' }) }, { additionalProperties: false })

export const DeliveryStatus = Type.Union(DELIVERY_STATUSES.map((s) => Type.Literal(s)))
