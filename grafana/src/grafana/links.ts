/**
 * Data links from metric panels to Grafana Explore: Tempo traces and Loki logs for the
 * selected source and action. Template variables stay unencoded so Grafana fills them in
 * when a person clicks; everything else is URL-encoded JSON (Explore's `panes` format).
 */
import { config } from '../config.ts'
import type { DataLink } from './types.ts'

const TRACE_LIMIT = 20

function exploreUrl(pane: unknown): string {
  const encoded = encodeURIComponent(JSON.stringify({ relay: pane }))
  // Keep ${var} tokens literal: Grafana interpolates them before following the link.
  const withVars = encoded.replace(/%24%7B(.+?)%7D/g, (_m, name: string) => `\${${decodeURIComponent(name)}}`)
  return `/explore?schemaVersion=1&orgId=1&panes=${withVars}`
}

const range = { from: '${__from}', to: '${__to}' }

function traceQl(errorsOnly: boolean): string {
  const a = config.traceAttributes
  const parts = [
    `resource.service.name="${config.services.worker}"`,
    `span.${a.source}=~"\${source:regex}"`,
    `span.${a.action}=~"\${action:regex}"`,
  ]
  if (errorsOnly) parts.push('status=error')
  return `{${parts.join(' && ')}}`
}

/** Tempo search for deliver spans of the selected source/action; optionally errors only. */
export function tracesLink(errorsOnly = false): DataLink {
  return {
    title: errorsOnly ? 'Failed delivery traces (Tempo)' : 'Delivery traces (Tempo)',
    targetBlank: true,
    url: exploreUrl({
      datasource: '${tempo}',
      queries: [{ refId: 'A', datasource: { type: 'tempo', uid: '${tempo}' }, queryType: 'traceql', limit: TRACE_LIMIT, query: traceQl(errorsOnly) }],
      range,
    }),
  }
}

/** Loki lines from the relay's processes mentioning the selected source (all of them for "All"). */
export function logsLink(errorsOnly = false): DataLink {
  const services = `${config.services.api}|${config.services.worker}`
  // The log shipper labels each line with pino's numeric level: 50 error, 60 fatal.
  const level = errorsOnly ? ', level=~"50|60"' : ''
  const expr = `{service_name=~"${services}"${level}} |~ "\${source:regex}"`
  return {
    title: errorsOnly ? 'Error logs (Loki)' : 'Logs (Loki)',
    targetBlank: true,
    url: exploreUrl({
      datasource: '${loki}',
      queries: [{ refId: 'A', datasource: { type: 'loki', uid: '${loki}' }, expr, queryType: 'range' }],
      range,
    }),
  }
}
