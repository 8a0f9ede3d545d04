/** /healthz (the process is alive) and /readyz (Postgres and Redis answer). */
import type { FastifyInstance } from 'fastify'
import { sql } from 'slonik'
import type { Db } from '../db/pool.ts'
import type { Metrics } from '../metrics/metrics.ts'
import type { RelayRedis } from '../redis/client.ts'

const CHECK_TIMEOUT_MS = 2_000

const within = <T>(p: Promise<T>, ms: number) =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms).unref())])

export async function checkDependencies(db: Db, redis: RelayRedis, metrics?: Metrics) {
  const [pg, rd] = await Promise.allSettled([within(db.oneFirst(sql.unsafe`SELECT 1`), CHECK_TIMEOUT_MS), within(redis.ping(), CHECK_TIMEOUT_MS)])
  metrics?.pgUp.set(pg.status === 'fulfilled' ? 1 : 0)
  metrics?.redisUp.set(rd.status === 'fulfilled' ? 1 : 0)
  return {
    postgres: pg.status === 'fulfilled' ? 'ok' : String((pg.reason as Error).message),
    redis: rd.status === 'fulfilled' ? 'ok' : String((rd.reason as Error).message),
  }
}

export async function healthRoutes(app: FastifyInstance, deps: { db: Db; redis: RelayRedis; metrics: Metrics }): Promise<void> {
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }))
  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    const checks = await checkDependencies(deps.db, deps.redis, deps.metrics)
    const ok = checks.postgres === 'ok' && checks.redis === 'ok'
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', checks })
  })
}
