/**
 * What a delivery list shows in its Subscription column: where the deliveries go. The
 * subscription's description when it has one, else its action and, when the plugin does
 * not treat it as a secret, the host of its `url` (http-relay); Slack or Discord webhook
 * URLs are secrets and stay out of lists.
 */
import { MASK, subscriptionsById, withDb, type SubscriptionRow } from '@webhook-relay/core/admin'
import type { RouteOptions } from './routes/context.ts'

export interface Destination {
  readonly id: string
  readonly label: string
}

/** The destinations of the subscriptions a page lists, in one query. */
export async function destinations(s: RouteOptions['services'], subscriptionIds: readonly string[]): Promise<Map<string, Destination>> {
  const subs = await withDb(() => subscriptionsById(s.db, [...new Set(subscriptionIds)]))
  return new Map(subs.map((sub) => [sub.id, destinationOf(s, sub)]))
}

/** Where one subscription's deliveries go. */
export function destinationOf(s: RouteOptions['services'], sub: SubscriptionRow): Destination {
  const config = s.plugins.maskConfig(sub.action, sub.config) as Record<string, unknown>
  let host = ''
  if (typeof config.url === 'string' && config.url !== MASK) {
    try {
      host = new URL(config.url).host
    } catch {
      // stored before validation tightened: shown without a host
    }
  }
  return { id: sub.id, label: sub.description || (host ? `${sub.action} → ${host}` : sub.action) }
}
