// The admin UI in a real browser (Debian's chromium driven by playwright-core) against a
// whole relay on its own database: sign in, create a source, send a webhook, inspect it,
// create an http-relay subscription through the generated form (an inline error first),
// see the delivery succeed, write and test a script in Monaco, replay a dead letter, read
// the overview's charts and subscription health,
// and the refusals: no session redirects to sign-in, a post without a CSRF token fails.
// Screenshots go to SCREENSHOT_DIR (default /tmp/ui-screenshots) for a person to look at.
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { chromium, type Browser, type Page } from 'playwright-core'
import { eventually, startSubscriber } from '@webhook-relay/core/testing'
import { requireTool } from '@webhook-relay/core/testing/external-tool'
import { createUiTestEnv } from './env.ts'

const CHROMIUM = process.env.CHROMIUM_PATH ?? requireTool({ name: 'chromium', also: ['/usr/bin/chromium'], install: 'scripts/ensure-chromium.sh' })
const SHOTS = process.env.SCREENSHOT_DIR ?? '/tmp/ui-screenshots'
const PASSWORD = 'correct horse battery staple'
mkdirSync(SHOTS, { recursive: true })

const env = await createUiTestEnv('ui_browser')
t.teardown(() => env.close())
const relay = await env.start('all', { RELAY_ADMIN_PASSWORD: PASSWORD })
// /dead answers 400 (a permanent failure) until the test flips it, to make a dead letter.
let deadPathOk = false
// /down always answers 503 (retried until the schedule is used up).
const sub = await startSubscriber((req) => (req.path === '/down' ? { status: 503, body: 'down' } : req.path === '/dead' && !deadPathOk ? { status: 400, body: 'rejected' } : { status: 200, body: '{"ok":true}' }))
t.teardown(() => sub.close())

const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] })
t.teardown(() => browser.close())
const context = await browser.newContext({ viewport: { width: 1366, height: 900 } })
const page: Page = await context.newPage()
page.setDefaultTimeout(15_000)
const problems: string[] = []
page.on('console', (m) => {
  // Answers the tests provoke on purpose (wrong password 401, invalid forms 422, the
  // CSRF refusal 403) are logged by the browser too; everything else is a real problem.
  if (/status of (401|403|422)/.test(m.text())) return
  if (m.type() === 'error' || /Content Security Policy|Refused to/i.test(m.text())) problems.push(`${m.text()} ${m.location().url}`)
})
page.on('pageerror', (e) => problems.push(e.message))

const ui = (path: string) => `${relay.url}/ui${path}`
const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true })
const send = (slug: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${relay.url}/in/${slug}`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } })

let sourceId = ''

t.test('without a session every page sends the browser to sign-in', async (t) => {
  await page.goto(ui('/deliveries'))
  t.match(page.url(), /\/ui\/login\?next=%2Fui%2Fdeliveries$/)
  await shot('01-sign-in')
  await page.fill('#secret', 'wrong password!')
  await page.click('button[type=submit]')
  t.ok(await page.getByRole('alert').textContent().then((x) => /not correct/.test(x ?? '')), 'a wrong password is refused on the page')
  await page.fill('#secret', PASSWORD)
  await page.click('button[type=submit]')
  await page.waitForURL(/\/ui\/deliveries$/)
  t.pass('signed in with the password and sent back to the page asked for')
  const session = (await context.cookies()).find((c) => c.name === 'relay_ui_session')
  t.ok(session?.httpOnly, 'session cookie is httpOnly')
  t.equal(session?.sameSite, 'Lax')
})

t.test('create a source; its ingest URL is shown with a copy button', async (t) => {
  await page.goto(ui('/sources'))
  t.ok(await page.getByText('No sources yet').isVisible(), 'the empty state says what to do')
  await page.click('text=New source')
  await page.fill('[name="source.name"]', 'GitHub')
  await page.fill('[name="source.slug"]', 'Bad Slug')
  await page.click('button:has-text("Create source")')
  t.match(await page.locator('#e-source\\.slug').textContent(), /Slug/, 'an invalid slug is reported next to its field')
  await page.fill('[name="source.slug"]', 'github')
  await page.click('button:has-text("Create source")')
  await page.waitForURL(/\/ui\/sources\/[0-9a-f-]+\?created=1$/)
  sourceId = /sources\/([0-9a-f-]+)/.exec(page.url())![1]!
  t.equal(await page.inputValue('#ingest-url'), `${relay.services.publicUrl}/in/github`)
  t.ok(await page.locator('button.copy').first().isVisible())
  await shot('02-source')
})

t.test('a webhook shows up in the event log and the payload inspector', async (t) => {
  await page.goto(ui(`/sources/${sourceId}/events`))
  t.ok(await page.locator('#no-events').isVisible(), 'empty log explains how to send one')
  const res = await send('github', { action: 'opened', pull_request: { number: 42, title: 'Fix <b>bold</b>' } }, { 'x-github-delivery': 'abc-123' })
  t.equal(res.status, 202)
  // The live tail polls: the event appears without a reload.
  await page.locator('#events tbody a').first().waitFor()
  t.pass('the live tail added the new event')
  await shot('03-event-log')
  await page.locator('#events tbody a').first().click()
  await page.waitForURL(/\/ui\/events\//)
  const tree = page.locator('#view-tree')
  t.match(await tree.textContent(), /"pull_request"/)
  t.match(await tree.textContent(), /"Fix <b>bold<\/b>"/, 'markup in a payload is shown as text')
  t.equal(await page.locator('#view-tree b').count(), 0, 'and never rendered as HTML')
  await page.click('#tab-hex')
  t.match(await page.locator('#view-hex').textContent(), /^00000000 {2}7b 22 61 63/, 'hex view of the raw bytes')
  await page.click('#tab-headers')
  t.match(await page.locator('#view-headers').textContent(), /x-github-delivery\s*abc-123/)
  await page.click('#tab-tree')
  await shot('04-inspector')
})

t.test('an http-relay subscription from the generated form, inline error first', async (t) => {
  await page.goto(ui(`/sources/${sourceId}/subscriptions/new`))
  // http-relay is the default action: choosing it again would have htmx redraw the
  // fields while the test types into them (a race that lost the URL once).
  t.equal(await page.inputValue('#f-action'), 'http-relay')
  await page.fill('[name="config.url"]', 'not a url')
  await page.fill('[name="config.timeoutMs"]', '5')
  await page.click('button:has-text("Create subscription")')
  t.match(await page.locator('#e-config\\.url').textContent(), /URL must be a valid URL/)
  t.match(await page.locator('#e-config\\.timeoutMs').textContent(), /must be >= 100/)
  await shot('05-subscription-errors')
  await page.fill('[name="config.url"]', `${sub.url}/hook`)
  await page.fill('[name="config.timeoutMs"]', '')
  await page.fill('#f-description', 'CI bot')
  await page.click('button:has-text("Create subscription")')
  const secret = await page.inputValue('#signing-secret')
  t.match(secret, /^whsec_/, 'the signing secret is shown once')
  t.match(page.url(), /\/ui\/subscriptions\/[0-9a-f-]+\/secret\?once=/, 'after a redirect (POST-redirect-GET)')
  await shot('06-signing-secret')
  const before = (await env.query('SELECT 1 FROM subscriptions')).length
  await page.reload()
  t.equal((await env.query('SELECT 1 FROM subscriptions')).length, before, 'reloading the page creates no second subscription')
  t.notOk((await page.content()).includes(secret), 'and does not show the secret again')
  t.match(await page.locator('main').textContent(), /was shown once/)
  await page.click('text=Continue to the subscription')
  t.notOk((await page.content()).includes(secret), 'and not on the subscription page')
})

t.test('a receiver the SSRF guard refuses is warned about when the subscription is saved', async (t) => {
  // http-relay is the default action (choosing it again would redraw the fields under the typing).
  await page.goto(ui(`/sources/${sourceId}/subscriptions/new`))
  await page.fill('[name="config.url"]', 'http://10.20.30.40:8080/hook')
  await page.click('button:has-text("Create subscription")')
  const warning = await page.getByRole('alert').first().textContent()
  t.match(warning, /config\.url: 10\.20\.30\.40 is a private, loopback, link-local or reserved address/)
  t.match(warning, /RELAY_EGRESS_ALLOW/)
  await shot('06b-egress-warning')
  await page.click('text=Continue to the subscription')
  t.match(await page.getByRole('alert').first().textContent(), /RELAY_EGRESS_ALLOW/, 'and on the subscription page while the URL stays')
  const id = /subscriptions\/([0-9a-f-]+)/.exec(page.url())![1]!
  await env.query('DELETE FROM subscriptions WHERE id = $1', [id])
})

t.test('a delivery succeeds and its detail shows the attempt', async (t) => {
  t.equal((await send('github', { action: 'closed' })).status, 202)
  await eventually(() => sub.to('/hook').length === 1, 'the subscriber receives the webhook')
  await page.goto(ui('/deliveries'))
  await page.locator('td a.mono').first().click()
  await eventually(async () => {
    await page.reload()
    return (await page.locator('#delivery-status').textContent()) === 'succeeded'
  }, 'the delivery page shows succeeded')
  t.match(await page.locator('details.attempt summary').first().textContent(), /HTTP 200/)
  t.match(await page.locator('details.attempt').first().textContent(), /webhook-signature/, 'request headers are listed')
  await shot('07-delivery')
  await page.goto(ui('/deliveries'))
  t.ok(await page.getByRole('columnheader', { name: 'Subscription' }).isVisible(), 'the list has a Subscription column')
  t.ok(await page.locator('tbody a', { hasText: 'CI bot' }).first().isVisible(), 'naming the subscription (its description), linked')
})

t.test('send a test event to one subscription', async (t) => {
  await page.goto(ui('/deliveries'))
  await page.locator('tbody a', { hasText: 'CI bot' }).first().click()
  const before = sub.to('/hook').length
  await page.fill('#test-body', '{"type": "relay.test", "hello": "from the test button"}')
  await page.click('button:has-text("Send test event")')
  await page.waitForURL(/\/ui\/deliveries\/[0-9a-f-]+\?test=1$/)
  t.match(await page.getByRole('status').first().textContent(), /Test event sent/)
  t.match(await page.locator('dl').first().textContent(), /Origin\s*test/, 'its origin says it is a test')
  await eventually(() => sub.to('/hook').length === before + 1, 'the test event reaches this subscription')
  const got = sub.to('/hook').at(-1)!
  t.same(JSON.parse(got.body.toString()), { type: 'relay.test', hello: 'from the test button' })
  t.match(String(got.headers['webhook-signature']), /^v1,/, 'signed like any delivery')
  // The Events page finds it across sources, by a header.
  await page.goto(ui('/events?q=x-relay-test'))
  t.equal(await page.locator('#events tbody tr').count(), 1, 'one event has the x-relay-test header')
  t.match(await page.locator('#events tbody').textContent(), /GitHub/, 'listed with its source')
  await shot('14-events-search')
  await page.goBack()
  await page.goBack()
  await page.fill('#test-body', '{not json')
  await page.click('button:has-text("Send test event")')
  t.match(await page.locator('main').textContent(), /Test event not sent: the body is not valid JSON/)
})

t.test('an exhausted delivery: its last attempt says the retries were used up; a retry continues the numbering', async (t) => {
  await page.goto(ui(`/sources/${sourceId}/subscriptions/new`))
  await page.fill('[name="config.url"]', `${sub.url}/down`)
  await page.click('button:has-text("Create subscription")')
  await page.inputValue('#signing-secret')
  await page.click('text=Continue to the subscription')
  t.match(await page.locator('table').filter({ hasText: 'never (current)' }).textContent(), /\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/, 'signing secrets with a readable time')
  const subscriptionId = /subscriptions\/([0-9a-f-]+)/.exec(page.url())![1]!
  t.equal((await send('github', { action: 'labeled' })).status, 202)
  // The test relay retries at 200 ms and 400 ms: three attempts, then dead (exhausted).
  const [d] = await eventually(async () => {
    const rows = await env.query<{ id: string }>("SELECT id FROM deliveries WHERE subscription_id = $1 AND status = 'dead'", [subscriptionId])
    return rows.length ? rows : null
  }, 'the delivery to be exhausted')
  await page.goto(ui(`/deliveries/${d!.id}`))
  const badges = await page.locator('details.attempt summary .badge').allTextContents()
  t.same(badges, ['failed, retries used up', 'failed, retried', 'failed, retried'], 'newest first; the last one was not retried')
  await page.goto(ui('/dead-letters'))
  t.match(await page.locator('tbody').textContent(), new RegExp(`http-relay → 127\\.0\\.0\\.1:${new URL(sub.url).port}`), 'the dead-letter list says where it was going')
  await page.goto(ui(`/deliveries/${d!.id}`))
  await page.click('button:has-text("Retry now")')
  await eventually(async () => (await env.query("SELECT 1 FROM delivery_attempts WHERE delivery_id = $1", [d!.id])).length >= 4, 'a fourth attempt')
  await page.goto(ui(`/deliveries/${d!.id}`))
  const numbers = await page.locator('details.attempt summary strong').allTextContents()
  t.same([...numbers].reverse().slice(0, 4), ['#1', '#2', '#3', '#4'], 'numbered through the whole history, not restarted by the retry')
  t.match(await page.locator('dl').first().textContent(), /since it was last retried/)

  // Deleting it says first what goes with it.
  await page.goto(ui(`/subscriptions/${subscriptionId}`))
  await page.click('text=Delete subscription…')
  t.match(await page.locator('main').textContent(), /1 delivery with every attempt/, 'the confirmation counts what goes')
  t.match(await page.locator('main').textContent(), /The source and its events stay/)
  await shot('13-delete-subscription')
  await page.click('button:has-text("Delete subscription")')
  await page.waitForURL(/\/ui\/sources\/[0-9a-f-]+\?deleted=subscription$/)
  t.match(await page.getByRole('status').first().textContent(), /Subscription deleted/)
  t.equal((await env.query('SELECT 1 FROM subscriptions WHERE id = $1', [subscriptionId])).length, 0)
  t.equal((await env.query('SELECT 1 FROM deliveries WHERE subscription_id = $1', [subscriptionId])).length, 0, 'with its deliveries')
})

t.test('a source is deleted after a confirmation that counts its events; its ingest URL then answers 404', async (t) => {
  await page.goto(ui('/sources/new'))
  await page.fill('[name="source.name"]', 'Throwaway')
  await page.fill('[name="source.slug"]', 'throwaway')
  await page.click('button:has-text("Create source")')
  await page.waitForURL(/\?created=1$/)
  for (let i = 0; i < 2; i++) t.equal((await send('throwaway', { n: i })).status, 202)
  await page.click('text=Delete source…')
  t.match(await page.locator('main').textContent(), /2 stored events/)
  t.match(await page.locator('main').textContent(), /senders get 404/)
  await page.click('button:has-text("Delete source")')
  await page.waitForURL(/\/ui\/sources\?deleted=Throwaway$/)
  t.match(await page.getByRole('status').first().textContent(), /Source Throwaway deleted/)
  t.equal((await send('throwaway', { n: 3 })).status, 404, 'the ingest URL is gone')
})

t.test('write a script in Monaco, test it against a recorded event, save versions, diff', async (t) => {
  await page.goto(ui('/transforms/new'))
  await page.locator('#editor.ready').waitFor()
  await page.locator('#editor .view-lines').click()
  await page.keyboard.press('Control+A')
  await page.keyboard.press('Delete')
  // One line: Monaco's auto-indent and bracket closing would reshape typed newlines.
  await page.keyboard.insertText('function transform(event) { console.log("seen", event.source); return { kind: event.body.action, n: 1 } }')
  t.match(await page.inputValue('#code'), /^function transform\(event\) \{ console\.log/, 'the form field follows the editor')
  await page.selectOption('#f-event', { index: 1 })
  await page.click('#run-test')
  const out = page.locator('#test-output')
  await out.waitFor()
  t.match(await out.textContent(), /"kind": "(closed|opened|labeled)"/, 'output of the script')
  t.match(await page.locator('#test-result .logs').textContent(), /\[log\] seen github/, 'captured console lines')
  await shot('08-script-test')

  // A runtime error names its line (multi-line text set through the editor's API).
  const setCode = (code: string) => page.evaluate((c) => (globalThis as unknown as { relayEditor: { setValue(v: string): void } }).relayEditor.setValue(c), code)
  await setCode('function transform(event) {\n  return event.nope.deeper\n}\n')
  await page.click('#run-test')
  await page.locator('#test-result [data-line]').waitFor()
  t.match(await page.locator('#test-result [data-line]').textContent(), /line 2/)

  // A script that returns null: the result says Skipped, and it is visible (not styled
  // away by a class shared with the skip link).
  await setCode('function transform(event) {\n  return null\n}\n')
  await page.click('#run-test')
  const skipped = page.locator('#test-result .result')
  await skipped.getByText('would not be delivered').waitFor()
  t.ok(await skipped.getByText('Skipped', { exact: true }).isVisible(), 'the Skipped result is visible')
  const box = await skipped.boundingBox()
  t.ok(box !== null && box.x >= 0 && box.width > 100, 'and on the page, not moved off it')

  // A pasted payload with headers, as a provider would send them.
  await setCode('function transform(event) {\n  return { kind: event.headers["x-github-event"], ct: event.contentType, n: event.body.n }\n}\n')
  await page.selectOption('#f-event', '')
  await page.fill('#f-payload', '{"n": 7}')
  await page.fill('#f-headers', 'X-GitHub-Event: push\nContent-Type: application/json')
  await page.click('#run-test')
  await page.locator('#test-output').getByText('"push"').waitFor()
  t.same(JSON.parse((await page.locator('#test-output').textContent())!), { kind: 'push', ct: 'application/json', n: 7 }, 'the pasted headers reach the script')
  await page.fill('#f-headers', 'not a header line')
  await page.click('#run-test')
  t.match(await page.locator('#test-result').getByRole('alert').textContent(), /Header line 1 is not "Name: value"/)
  await page.fill('#f-headers', '')

  await page.fill('#f-name', 'shape')
  await setCode('function transform(event) {\n  return event.body\n}\n')
  await page.click('button:has-text("Create script")')
  await page.waitForURL(/\/ui\/transforms\/[0-9a-f-]+\?saved=1$/)
  await page.locator('#editor.ready').waitFor()
  await page.locator('#editor .view-lines').click()
  await page.keyboard.press('Control+End')
  await page.keyboard.insertText('// v2')
  await page.click('button:has-text("Save as v2")')
  await page.waitForURL(/saved=2$/)
  await page.click('text=Changes in v2')
  t.match(await page.locator('table.diff tr.add').first().textContent(), /\/\/ v2/, 'the diff shows the added line')
  await shot('09-script-diff')
})

t.test('a dead letter is replayed from the queue', async (t) => {
  await page.goto(ui(`/sources/${sourceId}/subscriptions/new`))
  await page.fill('[name="config.url"]', `${sub.url}/dead`)
  await page.click('button:has-text("Create subscription")')
  await page.inputValue('#signing-secret')
  t.equal((await send('github', { action: 'reopened' })).status, 202)
  await eventually(async () => (await env.query('SELECT 1 FROM dead_letters')).length === 1, 'a dead letter')
  await page.goto(ui('/dead-letters'))
  t.match(await page.locator('tbody').textContent(), /permanent/)
  await shot('10-dead-letters')
  deadPathOk = true
  await page.check('input[name=ids]')
  await page.click('button:has-text("Replay selected")')
  t.match(await page.getByRole('status').textContent(), /1 replay queued/)
  await eventually(() => sub.to('/dead').length === 2, 'the replayed delivery reaches the receiver')
  await eventually(async () => (await env.query<{ status: string }>("SELECT status FROM deliveries WHERE status = 'succeeded' AND subscription_id IN (SELECT id FROM subscriptions WHERE config->>'url' LIKE '%/dead')")).length === 1, 'succeeded after replay')
  // A receiver that stays down, so the overview has a failing subscription to show.
  const down = await relay.api('/api/v1/subscriptions', { body: { sourceId, action: 'http-relay', config: { url: `${sub.url}/down` }, description: 'Receiver that is down' } })
  t.equal((await send('github', { action: 'closed' })).status, 202)
  await eventually(async () => (await env.query("SELECT 1 FROM deliveries WHERE subscription_id = $1 AND status = 'dead'", [down.body.id])).length === 1, 'the delivery to the down receiver is exhausted')
  await relay.traffic.flush()
  await page.goto(ui('/'))
  const charts = page.locator('svg.chart')
  t.equal(await charts.count(), 2, 'events and attempts charts')
  t.ok((await charts.nth(0).locator('g > title').count()) >= 1, 'the events chart has bars')
  t.match(await charts.nth(1).locator('desc').textContent(), /succeeded: [1-9]\d*, failed: [1-9]/, 'the attempts chart counts both outcomes')
  const health = page.locator('table.health tbody')
  const failing = health.locator('tr').first()
  t.match(await failing.textContent(), /Receiver that is down.*failing/s, 'the subscription whose receiver is down is failing, listed first')
  t.match(await failing.locator('td.clip').textContent(), /503/, 'with its last error')
  t.match(await failing.locator('td').nth(8).textContent(), /^3$/, 'three failures in a row')
  t.ok((await health.locator('tr', { hasText: 'healthy' }).count()) >= 1, 'the others are healthy, the replayed one included')
  await shot('11-overview')
  await page.click('a:has-text("Last 24 hours")')
  await page.waitForURL(/window=day$/)
  t.equal(await page.locator('a[aria-current=page]:has-text("Last 24 hours")').count(), 1)
  t.match(await page.locator('#stats').getAttribute('hx-get'), /window=day/, 'the live refresh keeps the window')
  t.match(await charts.nth(0).getAttribute('aria-label'), /per 15 minutes, last 24 hours/)
  // The subscription's own page says the same.
  await page.click('table.health a:has-text("Receiver that is down")')
  const facts = await page.locator('#health').textContent()
  t.match(facts, /failing · 3 failed attempts in a row/)
  t.match(facts, /3 attempts, 0% succeeded, p95 \d+ ms, 1 dead/)
  t.match(facts, /Last success\s*never/)
  t.match(facts, /HTTP 503/)
  await shot('15-subscription-health')
  await page.goto(ui('/plugins'))
  await shot('12-plugins')
})

t.test('a post without the CSRF token is refused, even with a session', async (t) => {
  const status = await page.evaluate(async (url) => {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'source.name=X&source.slug=x&source.mode=active' })
    return res.status
  }, ui('/sources'))
  t.equal(status, 403)
  t.equal((await env.query("SELECT 1 FROM sources WHERE slug = 'x'")).length, 0, 'nothing was created')
})

t.test('sign out ends the session', async (t) => {
  await page.click('button:has-text("Sign out")')
  await page.waitForURL(/\/ui\/login$/)
  await page.goto(ui('/sources'))
  t.match(page.url(), /\/ui\/login/)
})

t.test('no script errors and no CSP violations on any page', async (t) => {
  t.same(problems, [])
})
