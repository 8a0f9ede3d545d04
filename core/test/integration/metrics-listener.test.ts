// /metrics is served on its own listener (RELAY_METRICS_PORT), never on the ingest port:
// exposing the ingest port to the internet must not expose source names, queue depths
// and error rates with it. The metrics listener serves nothing but /metrics and /healthz.
import t from 'tap'
import { TEST_ADMIN_TOKEN } from '../../src/testing/index.ts'
import { createCoreTestEnv } from '../env.ts'

const env = await createCoreTestEnv('metrics_listener')
t.teardown(() => env.close())

for (const role of ['all', 'api', 'worker'] as const) {
  t.test(`role ${role}`, async (t) => {
    const relay = await env.start(role)
    t.not(new URL(relay.metricsUrl).port, new URL(relay.url).port, 'two ports')

    const scrape = await fetch(`${relay.metricsUrl}/metrics`)
    t.equal(scrape.status, 200)
    t.match(scrape.headers.get('content-type'), /^text\/plain/)
    const text = await scrape.text()
    t.match(text, /^# HELP /m)
    t.match(text, /^pg_up 1$/m, 'the dependency gauges are checked on each scrape')

    for (const path of ['/metrics', '/metrics/', '/METRICS', '/metrics?x=1', '//metrics']) {
      const res = await fetch(`${relay.url}${path}`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } })
      t.equal(res.status, 404, `${path} is not served on the main port, token or not`)
      t.notMatch(await res.text(), /# HELP/)
    }
    t.equal((await fetch(`${relay.url}/healthz`)).status, 200, 'probes stay on the main port')

    t.equal((await fetch(`${relay.metricsUrl}/healthz`)).status, 200)
    for (const path of ['/in/anything', '/api/v1/sources', '/ui/', '/readyz']) {
      t.equal((await fetch(`${relay.metricsUrl}${path}`, { method: path.startsWith('/in') ? 'POST' : 'GET', body: path.startsWith('/in') ? '{}' : undefined })).status, 404, `${path} is not on the metrics listener`)
    }
    await relay.stop()
  })
}
