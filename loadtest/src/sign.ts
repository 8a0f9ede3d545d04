/**
 * Signs a request the way each provider does, so a source with `verification` set
 * accepts it (docs/signatures.md): GitHub X-Hub-Signature-256, Stripe-Signature
 * (t=…,v1=…), Slack v0. GitHub also sends the legacy SHA-1 header; it is kept for
 * realism (the relay ignores it).
 */
import { createHmac } from 'node:crypto'

export type Provider = 'github' | 'stripe' | 'slack'
export const PROVIDERS: readonly Provider[] = ['github', 'stripe', 'slack']

const mac = (alg: 'sha1' | 'sha256', secret: string, ...parts: (string | Buffer)[]) => {
  const h = createHmac(alg, secret)
  for (const p of parts) h.update(p)
  return h.digest('hex')
}

/** Signature headers for `body`, signed at `nowSec` (unix seconds) with `secret`. */
export function signatureHeaders(provider: Provider, secret: string, body: Buffer, nowSec: number): Record<string, string> {
  switch (provider) {
    case 'github':
      return { 'X-Hub-Signature': `sha1=${mac('sha1', secret, body)}`, 'X-Hub-Signature-256': `sha256=${mac('sha256', secret, body)}` }
    case 'stripe':
      return { 'Stripe-Signature': `t=${nowSec},v1=${mac('sha256', secret, `${nowSec}.`, body)}` }
    case 'slack':
      return { 'X-Slack-Request-Timestamp': String(nowSec), 'X-Slack-Signature': `v0=${mac('sha256', secret, `v0:${nowSec}:`, body)}` }
  }
}
