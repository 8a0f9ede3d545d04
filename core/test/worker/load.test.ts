// Load task: events per batch, subscriptions from a TTL cache (opened: secrets
// decrypted), and a failed load is not cached.
import t from 'tap'
import { Loader, SUBSCRIPTION_TTL_MS } from '../../src/worker/load.ts'
import { taskFixture } from './fixture.ts'

const f = await taskFixture('load_task')
t.teardown(() => f.close())
const { db, box, plugins } = f.relay.services

t.test('a subscription is loaded once per TTL, and an edit shows after it', async (t) => {
  const loader = new Loader({ db, plugins, box })
  const first = await loader.subscription(f.subscriptionId)
  t.equal(first.openedConfig.url, 'http://127.0.0.1:9/x')
  t.ok(first.signingSecrets[0]?.startsWith('whsec_'), 'signing secrets are opened')
  await f.env.query(`UPDATE subscriptions SET config = '{"url":"http://127.0.0.1:9/y"}' WHERE id = $1`, [f.subscriptionId])
  t.equal((await loader.subscription(f.subscriptionId)).openedConfig.url, 'http://127.0.0.1:9/x', 'cached within the TTL')
  await new Promise((r) => setTimeout(r, SUBSCRIPTION_TTL_MS + 50))
  t.equal((await loader.subscription(f.subscriptionId)).openedConfig.url, 'http://127.0.0.1:9/y', 'reloaded after it')
})

t.test('a failed load is not cached', async (t) => {
  const loader = new Loader({ db, plugins, box })
  const missing = '01900000-0000-7000-8000-000000000000'
  await t.rejects(loader.subscription(missing), /not found/)
  await f.env.query(`INSERT INTO subscriptions (id, source_id, action, config) SELECT $1, source_id, action, config FROM subscriptions WHERE id = $2`, [missing, f.subscriptionId])
  t.equal((await loader.subscription(missing)).id, missing, 'the next lookup loads again')
})
