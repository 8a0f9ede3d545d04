/**
 * Security headers for every UI response. Scripts and workers come only from this
 * origin (htmx, Monaco and our own files are served from node_modules by the relay, no
 * CDN), so an injected <script> or inline handler cannot run. Styles allow 'unsafe-inline'
 * because Monaco and htmx insert <style> elements and style attributes at run time;
 * fonts and images allow data: for Monaco's embedded codicon font.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "worker-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ')

export const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
}
