/**
 * The error catalogue: every error the relay answers with over HTTP has a code here.
 * A retired code is never reused. Messages take printf-style arguments.
 */
import createError from '@fastify/error'

export const Errors = {
  SOURCE_NOT_FOUND: createError('RELAY_ERR_SOURCE_NOT_FOUND', 'Source %s not found', 404),
  SOURCE_DISABLED: createError('RELAY_ERR_SOURCE_DISABLED', 'Source %s is disabled', 404),
  SLUG_TAKEN: createError('RELAY_ERR_SLUG_TAKEN', 'A source with slug %s already exists', 409),
  SUBSCRIPTION_NOT_FOUND: createError('RELAY_ERR_SUBSCRIPTION_NOT_FOUND', 'Subscription %s not found', 404),
  EVENT_NOT_FOUND: createError('RELAY_ERR_EVENT_NOT_FOUND', 'Event %s not found', 404),
  DELIVERY_NOT_FOUND: createError('RELAY_ERR_DELIVERY_NOT_FOUND', 'Delivery %s not found', 404),
  TRANSFORM_NOT_FOUND: createError('RELAY_ERR_TRANSFORM_NOT_FOUND', 'Transform %s not found', 404),
  PLUGIN_NOT_FOUND: createError('RELAY_ERR_PLUGIN_NOT_FOUND', 'No action plugin named %s is installed', 400),
  INVALID_CONFIG: createError('RELAY_ERR_INVALID_CONFIG', 'Invalid config for action %s: %s', 400),
  INVALID_REQUEST: createError('RELAY_ERR_INVALID_REQUEST', '%s', 400),
  SIGNATURE_INVALID: createError('RELAY_ERR_SIGNATURE_INVALID', 'Signature verification failed: %s', 401),
  UNAUTHORIZED: createError('RELAY_ERR_UNAUTHORIZED', 'Missing or invalid bearer token', 401),
  PAYLOAD_TOO_LARGE: createError('RELAY_ERR_PAYLOAD_TOO_LARGE', 'Payload of %s bytes exceeds the limit of %s bytes', 413),
  CONFLICT: createError('RELAY_ERR_CONFLICT', '%s', 409),
  STORE_UNAVAILABLE: createError('RELAY_ERR_STORE_UNAVAILABLE', 'Storage is unavailable, retry later (%s)', 503),
} as const

export type RelayError = Error & { code: string; statusCode?: number }
