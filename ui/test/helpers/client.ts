/**
 * A browser-like HTTP client for route tests: keeps cookies, follows nothing on its own
 * (tests assert redirects), and reads the CSRF token a page rendered.
 */
export interface Page {
  status: number
  headers: Headers
  text: string
}

export class UiClient {
  readonly base: string
  readonly cookies = new Map<string, string>()

  constructor(base: string) {
    this.base = base
  }

  async request(path: string, init: { method?: string; form?: Record<string, string | string[]>; headers?: Record<string, string> } = {}): Promise<Page> {
    const headers: Record<string, string> = { ...init.headers }
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
    let body: string | undefined
    if (init.form) {
      const p = new URLSearchParams()
      for (const [k, v] of Object.entries(init.form)) for (const x of Array.isArray(v) ? v : [v]) p.append(k, x)
      body = p.toString()
      headers['content-type'] = 'application/x-www-form-urlencoded'
    }
    const res = await fetch(`${this.base}${path}`, { method: init.method ?? (body ? 'POST' : 'GET'), headers, body, redirect: 'manual' })
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';')
      const i = pair!.indexOf('=')
      const name = pair!.slice(0, i)
      const value = pair!.slice(i + 1)
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(c)) this.cookies.delete(name)
      else this.cookies.set(name, value)
    }
    return { status: res.status, headers: res.headers, text: await res.text() }
  }

  get(path: string, headers?: Record<string, string>) {
    return this.request(path, { headers })
  }

  /** GETs `page` for a fresh token, then posts the form with it. */
  async post(path: string, form: Record<string, string | string[]>, tokenFrom = '/ui/', headers?: Record<string, string>) {
    const token = csrfOf((await this.get(tokenFrom)).text)
    return this.request(path, { form: { _csrf: token, ...form }, headers })
  }

  async signIn(secret: string): Promise<Page> {
    return this.post('/ui/login', { secret, next: '/ui/' }, '/ui/login')
  }
}

export function csrfOf(html: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(html) ?? /name="csrf-token" content="([^"]+)"/.exec(html)
  if (!m) throw new Error('no CSRF token in the page')
  return m[1]!
}
