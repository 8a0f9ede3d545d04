/**
 * dlq: the dead-letter queue as a lifecycle plugin. The core moves a delivery to the
 * queue (status dead + a dead_letters row in one transaction, then XADD relay:v1:dlq);
 * this plugin is where a person lists, inspects, replays and discards them, through the
 * delivery state service the core hands it (it holds no pool and writes no rows).
 */
import { defineLifecycle } from '@webhook-relay/plugin-sdk'
import { deadLetterRoutes } from './routes.ts'

export default defineLifecycle({
  apiVersion: 1,
  name: 'dlq',
  version: '1.0.0',
  title: 'Dead-letter queue',
  description: 'List, inspect, replay and discard deliveries that will not be retried again.',
  routes: deadLetterRoutes,
})
