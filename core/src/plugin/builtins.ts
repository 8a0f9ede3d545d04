/**
 * The action plugins that ship with the relay. Each is a workspace package under
 * plugins/; extra ones come from RELAY_PLUGINS. Order does not matter: names must be
 * unique across both lists.
 */
export const BUILTIN_PLUGINS: readonly string[] = ['@webhook-relay/plugin-http-relay', '@webhook-relay/plugin-pagerduty', '@webhook-relay/plugin-opsgenie', '@webhook-relay/plugin-dlq', '@webhook-relay/plugin-slack', '@webhook-relay/plugin-s3', '@webhook-relay/plugin-discord', '@webhook-relay/plugin-email']
