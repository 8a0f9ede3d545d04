/** What the REST routes need, built once per process by core/src/relay.ts. */
import type { Config } from '../config/config.ts'
import type { Db } from '../db/pool.ts'
import type { DeliveryService } from '../delivery/service.ts'
import type { SourceCache } from '../ingest/source-cache.ts'
import type { PluginHost } from '../plugin/host.ts'
import type { RelayRedis } from '../redis/client.ts'
import type { Keys } from '../redis/keys.ts'
import type { SecretBox } from '../secrets/secret-box.ts'
import type { TrafficRollup } from '../traffic/rollup.ts'
import type { TransformRunner } from '../transform/types.ts'

export interface Services {
  readonly config: Config
  readonly db: Db
  readonly redis: RelayRedis
  readonly keys: Keys
  readonly plugins: PluginHost
  readonly box: SecretBox
  readonly sources: SourceCache
  /** Every change of a delivery made from outside the worker (delivery/service.ts). */
  readonly deliveries: DeliveryService
  readonly publicUrl: string
  /** Per-minute counts for the overview's charts (traffic/rollup.ts). */
  readonly traffic: TrafficRollup
  /** The sandbox, started on first use in the api role (the worker starts its own). */
  readonly transforms: () => TransformRunner
}
