/**
 * Redis connections. The relay uses two per process: `cmd` for ordinary commands and
 * pipelines, and `block` for blocking XREADGROUP, which would otherwise hold up every
 * other command queued behind it on the same socket.
 */
import { readFileSync } from 'node:fs'
import { Redis } from 'ioredis'

const MOVE_DUE_LUA = readFileSync(new URL('./move-due.lua', import.meta.url), 'utf8')
const RATE_TAKE_LUA = readFileSync(new URL('./rate-take.lua', import.meta.url), 'utf8')

export interface RelayRedis extends Redis {
  moveDue(retries: string, deliveries: string, nowMs: number, max: number): Promise<number>
  /** Tokens of one rate limit's bucket (rate-take.lua): per request, 0 to go now or the ms to wait; reserved requests first. */
  rateTake(bucket: string, perSecond: number, burst: number, reserved: number, fresh: number): Promise<number[]>
}

export function createRedis(url: string, name: string): RelayRedis {
  const redis = new Redis(url, {
    connectionName: name,
    // Fail commands quickly while disconnected so ingest can answer 503 instead of hanging.
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    lazyConnect: false,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
  }) as RelayRedis
  redis.defineCommand('moveDue', { numberOfKeys: 2, lua: MOVE_DUE_LUA })
  redis.defineCommand('rateTake', { numberOfKeys: 1, lua: RATE_TAKE_LUA })
  // Errors are surfaced by the commands that fail; an unhandled 'error' event would crash.
  redis.on('error', () => {})
  return redis
}

export function isRedisReady(redis: Redis): boolean {
  return redis.status === 'ready'
}
