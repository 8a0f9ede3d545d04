import { readFileSync } from 'node:fs'
import t from 'tap'
import { createTransformRunner, eventViewFromPayload } from '@webhook-relay/core/testing'

const script = readFileSync(new URL('../github-push-to-slack.js', import.meta.url), 'utf8')
const push = JSON.parse(readFileSync(new URL('./fixtures/github-push.json', import.meta.url), 'utf8'))
// A roomy time budget: these tests are not about timeouts, and CI machines get busy.
const runner = createTransformRunner({ timeoutMs: 1000 })
t.teardown(() => runner.close())

function githubEvent(name: string, body: unknown) {
  return eventViewFromPayload({
    body: body as object,
    source: 'github',
    headers: { 'X-GitHub-Event': name, 'X-GitHub-Delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958', 'Content-Type': 'application/json' },
  })
}

t.test('a push becomes a Slack Block Kit message', async (t) => {
  const out = await runner.run(script, githubEvent('push', push))
  if (out.kind !== 'payload') throw new Error(JSON.stringify(out))
  t.equal(out.payload.contentType, 'application/json')
  const message = JSON.parse(out.payload.body.toString())
  t.equal(message.text, 'octocat pushed 2 commits to main in acme/webhook-relay')
  t.equal(message.blocks.length, 3)
  t.equal(message.blocks[0].text.text,
    '*octocat* pushed to <https://github.com/acme/webhook-relay/tree/main|main> in <https://github.com/acme/webhook-relay|acme/webhook-relay>')
  t.equal(message.blocks[1].text.text, [
    '<https://github.com/acme/webhook-relay/commit/a10867b14bb761a232cd80139fbd4c0d33264240|`a10867b`> Retry 429 responses with Retry-After &lt;= 60s — Mona Lisa',
    '<https://github.com/acme/webhook-relay/commit/0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c|`0d1a26e`> Docs: explain &lt;script&gt; &amp; sandbox limits — The Octocat',
  ].join('\n'), 'one line per commit, first line of the message, mrkdwn escaped')
  t.same(message.blocks[2].elements[0].url, push.compare)
})

t.test('a deleted branch is a one-line message', async (t) => {
  const out = await runner.run(script, githubEvent('push', { ...push, ref: 'refs/heads/old-feature', deleted: true, commits: [] }))
  t.equal(out.kind === 'payload' && JSON.parse(out.payload.body.toString()).text, 'octocat deleted old-feature in acme/webhook-relay')
})

t.test('long pushes are cut to five commits', async (t) => {
  const commits = Array.from({ length: 8 }, (_, i) => ({ ...push.commits[0], id: `${i}`.repeat(40) }))
  const out = await runner.run(script, githubEvent('push', { ...push, commits }))
  const message = out.kind === 'payload' ? JSON.parse(out.payload.body.toString()) : null
  t.match(message?.blocks[1].text.text, /…and 3 more$/)
})

t.test('other GitHub events are skipped', async (t) => {
  const ping = await runner.run(script, githubEvent('ping', { zen: 'Keep it logically awesome.', hook_id: 1 }))
  t.equal(ping.kind, 'skip')
})
