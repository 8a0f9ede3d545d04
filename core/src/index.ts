/**
 * @webhook-relay/core: a relay process made of a Composition. An app starts one with
 * runRelayCli (the command line, roles and exit codes) or startRelay (in process, as the
 * tests and benchmarks do). Plugin authors import @webhook-relay/plugin-sdk, admin
 * surfaces @webhook-relay/core/admin, tests @webhook-relay/core/testing.
 */
export { runRelayCli } from './cli.ts'
export { startRelay, type Relay, type StartOptions } from './relay.ts'
export type { Composition, RelayExtension } from './composition.ts'
export { ConfigError, loadConfig, type Config, type Role } from './config/config.ts'
export { migrate, type MigrationResult } from './db/migrate.ts'
export { MASK, PluginHost, PluginLoadError } from './plugin/host.ts'
export { createSecretBox, type SecretBox } from './secrets/secret-box.ts'
