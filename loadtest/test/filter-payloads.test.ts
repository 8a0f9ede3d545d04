// Event filters against the payload shapes the load kit sends (GitHub push, Stripe
// invoice.paid, Slack event_callback): the rules people write for them select what they
// should, at every size the kit makes. Headers arrive lower-cased, as the relay stores them.
import t from 'tap'
import { compileFilter, type FilterSubject } from '@webhook-relay/core/admin'
import { githubPush } from '../src/payloads/github.ts'
import { slackEvent } from '../src/payloads/slack.ts'
import { stripeEvent } from '../src/payloads/stripe.ts'
import { SIZES } from '../src/payloads/fill.ts'

const subject = (p: { body: unknown; headers: Record<string, string> }): FilterSubject => ({
  headers: Object.fromEntries(Object.entries(p.headers).map(([k, v]) => [k.toLowerCase(), v])),
  json: JSON.parse(JSON.stringify(p.body)),
})

for (const [size, bytes] of Object.entries(SIZES)) {
  t.test(`${size} payloads`, async (t) => {
    const github = subject(githubPush(bytes))
    const stripe = subject(stripeEvent(bytes))
    const slack = subject(slackEvent(bytes))
    const pushesToMain = compileFilter({ all: [{ header: 'x-github-event', equals: 'push' }, { path: '$.ref', equals: 'refs/heads/main' }, { path: '$.repository.fork', equals: false }] })
    const ourRepos = compileFilter({ path: '$.repository.full_name', in: ['acme-corp/webhook-relay', 'acme-corp/site'] })
    const tagPushes = compileFilter({ path: '$.ref', prefix: 'refs/tags/' })
    t.ok(pushesToMain(github), 'GitHub: pushes to main')
    t.ok(ourRepos(github), 'GitHub: one of our repositories')
    t.notOk(tagPushes(github), 'GitHub: not a tag push')
    t.notOk(pushesToMain(stripe) || pushesToMain(slack), 'the GitHub rule selects no other provider')

    const paidInvoices = compileFilter({ all: [{ path: '$.type', equals: 'invoice.paid' }, { path: '$.livemode', equals: false }, { path: '$.data.object.subscription', exists: true }] })
    const invoiceEvents = compileFilter({ path: '$.type', prefix: 'invoice.' })
    const usd = compileFilter({ path: '$.data.object.currency', in: ['usd', 'eur'] })
    t.ok(paidInvoices(stripe) && invoiceEvents(stripe) && usd(stripe), 'Stripe: paid test-mode subscription invoices in usd')
    t.notOk(compileFilter({ path: '$.data.object.lines.data[0].amount', equals: -1 })(stripe), 'Stripe: an array element by index')
    t.ok(compileFilter({ path: '$.data.object.lines.data[0].amount', exists: true })(stripe))

    const channelMessages = compileFilter({ all: [{ path: '$.type', equals: 'event_callback' }, { path: '$.event.type', equals: 'message' }, { path: '$.event.channel', in: ['C0LAN2Q65'] }, { not: { path: '$.event.bot_id', exists: true } }] })
    t.ok(channelMessages(slack), 'Slack: human messages in one channel')
    t.notOk(channelMessages(github) || channelMessages(stripe))
    t.ok(compileFilter({ header: 'user-agent', prefix: 'Slackbot' })(slack), 'Slack: by header')
  })
}

t.test('what a filter costs per event (printed, not asserted: benchmarks assert nothing)', async (t) => {
  const github = subject(githubPush(SIZES['10k']))
  const rule = compileFilter({ all: [{ header: 'x-github-event', equals: 'push' }, { path: '$.ref', prefix: 'refs/heads/' }, { path: '$.repository.full_name', in: ['acme-corp/webhook-relay'] }] })
  const n = 200_000
  const start = process.hrtime.bigint()
  let hits = 0
  for (let i = 0; i < n; i++) if (rule(github)) hits++
  const ns = Number(process.hrtime.bigint() - start) / n
  t.equal(hits, n)
  t.comment(`three conditions over a parsed 10 KB GitHub push: ${ns.toFixed(0)} ns per event`)
})
