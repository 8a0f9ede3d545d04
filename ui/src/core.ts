/**
 * The one seam between the UI and the core: everything the pages read or change goes
 * through the same store, queue and view functions the REST API uses, so the UI can
 * never disagree with /api/v1. The core package exports only its public entry points,
 * hence the relative paths (both live in this monorepo and ship together).
 */
export type { Services } from '../../core/src/api/services.ts'
export type { Verification } from '../../core/src/ingest/verify/index.ts'
export type { PluginInfo } from '../../core/src/plugin/host.ts'
export type { EventView } from '../../core/src/plugin/contract.ts'
export type { SourceRow, SourceInput } from '../../core/src/store/sources.ts'
export type { SubscriptionRow } from '../../core/src/store/subscriptions.ts'
export type { EventRow } from '../../core/src/store/events.ts'
export type { DeliveryRow, AttemptRow } from '../../core/src/store/deliveries.ts'
export type { TransformVersionRow } from '../../core/src/store/transforms.ts'
export type { TransformOutcome } from '../../core/src/transform/types.ts'

export { withDb } from '../../core/src/db/pool.ts'
export { row } from '../../core/src/db/row.ts'
export { MASK } from '../../core/src/plugin/host.ts'
export { VerificationSchema } from '../../core/src/ingest/verify/index.ts'
export { createSource, deleteSource, getSource, listSources, openVerification, updateSource } from '../../core/src/store/sources.ts'
export { createSubscription, deleteSubscription, getSubscription, listSubscriptions, rotateSigningSecret, subscriptionsById } from '../../core/src/store/subscriptions.ts'
export { getEvent, insertEvents, toEventView } from '../../core/src/store/events.ts'
export { deliveriesOfEvent, getDelivery, listAttempts, listDeliveries } from '../../core/src/store/deliveries.ts'
export { DELIVERY_STATUSES, FAILING, HELD, RETRYABLE_NOW, Status, statusIn, statusIs, type DeliveryStatus } from '../../core/src/delivery/status.ts'
export { addTransformVersion, createTransform, getTransformVersion, listTransforms, listTransformVersions } from '../../core/src/store/transforms.ts'
export { newId, isUuid } from '../../core/src/store/ids.ts'
export { MAX_SCRIPT_BYTES } from '../../core/src/transform/types.ts'
export { attemptView, bodyView, deliveryView, sourceView, subscriptionView } from '../../core/src/api/views.ts'
export { SourceCreate } from '../../core/src/api/schemas.ts'
export { MAX_JSON_DEPTH, parseJsonOrUndefined, parseJsonWithin, type JsonParse } from '@webhook-relay/plugin-sdk'
export { shownHeaders } from '../../core/src/secrets/credential-headers.ts'
export { refusedDestinations } from '../../core/src/egress/destination-check.ts'
export { eventsSince, subscriptionTraffic, trafficSeries, type SubscriptionTraffic, type TrafficPoint } from '../../core/src/store/traffic.ts'
export { latencyQuantile } from '../../core/src/traffic/latency.ts'
