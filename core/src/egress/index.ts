export {
  createHttpClient,
  EgressTimeoutError,
  EGRESS_TIMEOUT,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_CONNECTIONS_PER_ORIGIN,
  DEFAULT_MAX_RESPONSE_BYTES,
  DEFAULT_REQUEST_TIMEOUT_MS,
  type ClosableHttpClient,
  type HttpClientOptions,
} from './http-client.ts'
export { EgressInvalidUrlError, EgressRefusedError, EGRESS_INVALID_URL, EGRESS_REFUSED } from './errors.ts'
export { compileAllowList, isForbidden, isForbiddenAddress, type AllowList } from './forbidden-address.ts'
export { systemResolver, type Resolver } from './guarded-lookup.ts'
export { createGuardedConnect, DEFAULT_TCP_CONNECT_TIMEOUT_MS, type GuardedConnectOptions } from './guarded-connect.ts'
