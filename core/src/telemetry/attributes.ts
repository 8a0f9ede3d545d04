/**
 * Span attribute names: OpenTelemetry semantic conventions (messaging, database, HTTP)
 * and the relay's own `webhook.*` names. `webhook.source` and `webhook.action` are what
 * the Grafana trace links filter on (grafana/src/config.ts traceAttributes), so keep
 * them in step.
 */
export const ATTR = {
  messagingSystem: 'messaging.system',
  messagingOperationType: 'messaging.operation.type',
  messagingOperationName: 'messaging.operation.name',
  messagingDestination: 'messaging.destination.name',
  messagingConsumerGroup: 'messaging.consumer.group.name',
  messagingMessageId: 'messaging.message.id',
  messagingBatchCount: 'messaging.batch.message_count',

  dbSystem: 'db.system.name',
  dbOperation: 'db.operation.name',
  dbCollection: 'db.collection.name',
  dbBatchSize: 'db.operation.batch.size',

  httpMethod: 'http.request.method',
  httpRoute: 'http.route',
  httpStatus: 'http.response.status_code',
  urlScheme: 'url.scheme',
  urlPath: 'url.path',
  serverAddress: 'server.address',
  serverPort: 'server.port',
  errorType: 'error.type',

  source: 'webhook.source',
  action: 'webhook.action',
  eventId: 'webhook.event_id',
  deliveryId: 'webhook.delivery_id',
  subscriptionId: 'webhook.subscription_id',
  attempt: 'webhook.attempt',
  outcome: 'webhook.outcome',
  transformVersion: 'webhook.transform.version_id',
  transformResult: 'webhook.transform.result',
} as const

export const MESSAGING_SYSTEM = 'redis'
export const DB_SYSTEM = 'postgresql'
