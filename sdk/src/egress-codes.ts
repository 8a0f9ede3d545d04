/**
 * Codes of the errors the relay's outgoing HTTP client and TCP connector throw on
 * purpose (`ctx.http`, `ctx.connect`). Both are permanent: retrying a refused or
 * malformed destination cannot succeed, so `classifyHttpError` turns them into `fail`.
 */

/** The destination resolved to an address the SSRF guard does not allow. */
export const EGRESS_REFUSED = 'RELAY_ERR_EGRESS_REFUSED'
/** The URL is not an absolute http: or https: URL. */
export const EGRESS_INVALID_URL = 'RELAY_ERR_EGRESS_INVALID_URL'
