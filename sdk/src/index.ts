/**
 * @webhook-relay/plugin-sdk: everything an action or lifecycle plugin is written against. The
 * package's major version is the plugin API version (PLUGIN_API_VERSION) its types
 * describe; docs/plugins.md says what changes it.
 */
export * from './contract.ts'
export * from './egress-codes.ts'
export * from './http-outcome.ts'
export * from './json-depth.ts'
export * from './lifecycle.ts'
export * from './redact.ts'
export * from './transformed.ts'
