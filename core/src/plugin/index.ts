// The plugin API as the relay's own plugins import it: @webhook-relay/plugin-sdk (action
// plugins), plus lifecycle plugins. Third-party action plugins import the SDK itself.
export * from './contract.ts'
