/**
 * dlq: the dead-letter queue as a lifecycle plugin. The core moves a delivery to the
 * queue (status dead + a dead_letters row in one transaction, then XADD relay:v1:dlq);
 * this plugin is where a person lists, inspects, replays and discards them.
 */
import { defineLifecycle } from '@webhook-relay/core/plugin'
import { deadLetterRoutes } from './routes.ts'

export default defineLifecycle({
  apiVersion: 1,
  name: 'dlq',
  version: '1.0.0',
  title: 'Dead-letter queue',
  description: 'List, inspect, replay and discard deliveries that will not be retried again.',
  async routes(app, deps) {
    await app.register(deadLetterRoutes(deps))
  },
})
