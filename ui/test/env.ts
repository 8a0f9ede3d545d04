/**
 * The UI's integration tests: a relay with the UI mounted the way the app mounts it
 * (its extension) and the reference action, http-relay, loaded by name.
 */
import { createTestEnv, type TestEnv } from '@webhook-relay/core/testing'
import { uiExtension } from '../src/index.ts'

export function createUiTestEnv(name: string, env: Record<string, string> = {}): Promise<TestEnv> {
  return createTestEnv(name, { RELAY_PLUGINS: '@webhook-relay/plugin-http-relay', ...env }, { extensions: [uiExtension] })
}
