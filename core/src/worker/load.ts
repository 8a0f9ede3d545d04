/**
 * Load task: what an attempt needs besides its claim and event (the claim statement
 * reads the event): subscriptions (config and signing secrets decrypted) and transform
 * code come from one TTL cache each, so a busy subscription costs a query every couple
 * of seconds, not one per delivery.
 */
import type { Db } from '../db/pool.ts'
import type { PluginHost } from '../plugin/host.ts'
import type { SecretBox } from '../secrets/secret-box.ts'
import { activeSigningSecrets, getSubscription, type SubscriptionRow } from '../store/subscriptions.ts'
import { getTransformVersion } from '../store/transforms.ts'
import { TtlCache } from '../util/ttl-cache.ts'

/**
 * Subscriptions change rarely. Whether one is enabled is checked by the claim itself
 * (in Postgres), so this cache only delays config edits and the end of a secret
 * rotation, by at most this long.
 */
export const SUBSCRIPTION_TTL_MS = 2_000
/** Transform versions are immutable: kept until the cache starts over. */
const TRANSFORM_TTL_MS = 60 * 60_000

export type OpenedSubscription = SubscriptionRow & { openedConfig: Record<string, unknown>; signingSecrets: string[] }

export class Loader {
  readonly #db: Db
  readonly #plugins: PluginHost
  readonly #box: SecretBox
  readonly #subscriptions = new TtlCache<string, OpenedSubscription>({ ttlMs: SUBSCRIPTION_TTL_MS })
  readonly #code = new TtlCache<string, string>({ ttlMs: TRANSFORM_TTL_MS, maxEntries: 1_000 })

  constructor(d: { db: Db; plugins: PluginHost; box: SecretBox }) {
    this.#db = d.db
    this.#plugins = d.plugins
    this.#box = d.box
  }

  subscription(id: string): Promise<OpenedSubscription> {
    return this.#subscriptions.get(id, async () => {
      const sub = await getSubscription(this.#db, id)
      return {
        ...sub,
        openedConfig: this.#plugins.openConfig(sub.action, sub.config),
        signingSecrets: activeSigningSecrets(this.#box, sub.signing_secrets),
      }
    })
  }

  transformCode(versionId: string): Promise<string> {
    return this.#code.get(versionId, async () => (await getTransformVersion(this.#db, versionId)).code)
  }
}
