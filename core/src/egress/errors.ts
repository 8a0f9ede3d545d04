/**
 * Errors the egress client throws on purpose. Both are permanent: retrying a refused or
 * malformed destination cannot succeed, so `classifyHttpError` turns them into `fail`.
 */

/** The destination resolved to an address the SSRF guard does not allow. */
export const EGRESS_REFUSED = 'RELAY_ERR_EGRESS_REFUSED'
/** The URL is not an absolute http: or https: URL. */
export const EGRESS_INVALID_URL = 'RELAY_ERR_EGRESS_INVALID_URL'

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
