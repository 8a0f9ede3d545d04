/**
 * Errors the egress client throws on purpose. Both are permanent: retrying a refused or
 * malformed destination cannot succeed, so `classifyHttpError` turns them into `fail`.
 */

import { EGRESS_INVALID_URL, EGRESS_REFUSED } from '@webhook-relay/plugin-sdk'

// The codes are part of the plugin API (plugins classify errors by them).
export { EGRESS_INVALID_URL, EGRESS_REFUSED }

export class EgressRefusedError extends Error {
  readonly code = EGRESS_REFUSED
  readonly address: string
  readonly host: string

  constructor(host: string, address: string) {
    const via = host === address ? '' : ` (${host} resolves to it)`
    super(`outgoing request refused: ${address}${via} is a private, loopback, link-local or reserved address`)
    this.name = 'EgressRefusedError'
    this.host = host
    this.address = address
  }
}

export class EgressInvalidUrlError extends Error {
  readonly code = EGRESS_INVALID_URL

  constructor(url: string, why: string) {
    super(`outgoing request refused: ${why}: ${url}`)
    this.name = 'EgressInvalidUrlError'
  }
}
