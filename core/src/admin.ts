/**
 * @webhook-relay/core/admin: what an admin surface (the UI package) reads and changes,
 * through the same store, view and delivery functions the REST API uses, so the UI can
 * never disagree with /api/v1. The one seam between the UI and the core: the UI imports
 * nothing else of the core but the Composition types from the package's main entry.
 */
export type { Services } from './api/services.ts'
export type { Verification } from './ingest/verify/index.ts'
export type { PluginInfo } from './plugin/host.ts'
export type { EventView } from './plugin/contract.ts'
export type { SourceRow, SourceInput } from './store/sources.ts'
export type { SubscriptionRow } from './store/subscriptions.ts'
export type { EventRow } from './store/events.ts'
export type { DeliveryRow, AttemptRow } from './store/deliveries.ts'
export type { TransformVersionRow } from './store/transforms.ts'
export type { TransformOutcome } from './transform/types.ts'

export { withDb } from './db/pool.ts'
export { row } from './db/row.ts'
export { MASK } from './plugin/host.ts'
export { VerificationSchema } from './ingest/verify/index.ts'
export { createSource, deleteSource, getSource, listSources, openVerification, updateSource } from './store/sources.ts'
export { createSubscription, deleteSubscription, getSubscription, listSubscriptions, rotateSigningSecret, subscriptionsById } from './store/subscriptions.ts'
export { getEvent, insertEvents, toEventView } from './store/events.ts'
export { deliveriesOfEvent, getDelivery, listAttempts, listDeliveries } from './store/deliveries.ts'
export { CLAIMABLE, DELIVERY_STATUSES, FAILING, HELD, RETRYABLE_NOW, Status, statusIn, statusIs, type DeliveryStatus } from './delivery/status.ts'
export { addTransformVersion, createTransform, getTransformVersion, listTransforms, listTransformVersions } from './store/transforms.ts'
export { newId, isUuid } from './store/ids.ts'
export { MAX_SCRIPT_BYTES } from './transform/types.ts'
export { attemptView, bodyView, deliveryView, sourceView, subscriptionView } from './api/views.ts'
export { SourceCreate } from './api/schemas.ts'
export { MAX_JSON_DEPTH, parseJsonOrUndefined, parseJsonWithin, type JsonParse } from '@webhook-relay/plugin-sdk'
export { shownHeaders } from './secrets/credential-headers.ts'
export { refusedDestinations } from './egress/destination-check.ts'
export { eventsSince, subscriptionTraffic, trafficSeries, type SubscriptionTraffic, type TrafficPoint } from './store/traffic.ts'
export { latencyQuantile } from './traffic/latency.ts'
export { checkedFilter, compileFilter, FilterError, type FilterRule, type FilterSubject } from './filter/event-filter.ts'
export { checkedRateLimit, describeRateLimit, effectiveRateLimit, RateLimitError, type RateLimit } from './delivery/rate-limit.ts'
