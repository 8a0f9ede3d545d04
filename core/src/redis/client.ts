/**
 * Redis connections. The relay uses two per process: `cmd` for ordinary commands and
 * pipelines, and `block` for blocking XREADGROUP, which would otherwise hold up every
 * other command queued behind it on the same socket.
 */
import { readFileSync } from 'node:fs'
import { Redis } from 'ioredis'

const MOVE_DUE_LUA = readFileSync(new URL('./move-due.lua', import.meta.url), 'utf8')

export interface RelayRedis extends Redis {
  moveDue(retries: string, deliveries: string, nowMs: number, max: number): Promise<number>
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
  // Errors are surfaced by the commands that fail; an unhandled 'error' event would crash.
  redis.on('error', () => {})
  return redis
}

export function isRedisReady(redis: Redis): boolean {
  return redis.status === 'ready'
}
