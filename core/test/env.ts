/**
 * The core's integration tests deliver through the reference action, http-relay. The
 * core never imports a plugin: the tests load it by package name through RELAY_PLUGINS,
 * as an operator would, so in-process relays and spawned ones get the same plugins.
 */
import { createTestEnv, type TestEnv } from '../src/testing/index.ts'

export const HTTP_RELAY = '@webhook-relay/plugin-http-relay'
/** The dead-letter queue (its API and records), for the tests that read dead letters. */
export const DLQ = '@webhook-relay/plugin-dlq'

/** RELAY_PLUGINS naming http-relay and then `more` (paths or package names). */
export function withHttpRelay(...more: string[]): string {
  return [HTTP_RELAY, ...more].join(',')
}

/** createTestEnv with http-relay loaded; env.RELAY_PLUGINS adds to it. */
export function createCoreTestEnv(name: string, env: Record<string, string> = {}): Promise<TestEnv> {
  return createTestEnv(name, { ...env, RELAY_PLUGINS: withHttpRelay(...(env.RELAY_PLUGINS ? [env.RELAY_PLUGINS] : [])) })
}
