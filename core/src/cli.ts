/**
 * The command line of a relay made of a Composition: `relay [all|api|worker|migrate|reseal]`
 * (default: RELAY_ROLE, else all). The app's bin (app/src/bin/relay.ts) runs it with the
 * built-in plugins and the admin UI; the core's own bin (bin/relay.ts) with nothing but
 * RELAY_PLUGINS, for a relay installed from @webhook-relay/core alone.
 * `reseal` re-seals every stored secret with RELAY_ENCRYPTION_KEY (after a key change).
 * `npm start` and the image give no argument, so RELAY_ROLE decides, and `all` (API and
 * worker in one process, migrations applied, the database created if missing) without
 * it. The role and what chose it are printed at start. SIGTERM/SIGINT shut down
 * gracefully and exit 0.
 */
import type { Composition } from './composition.ts'
import { ConfigError, DEFAULT_DATABASE_URL, loadConfig, type Role } from './config/config.ts'
import { DEV_SECRETS_FILE, loadDevSecrets, saveDevSecrets } from './config/dev-secrets.ts'
import { migrate } from './db/migrate.ts'
import { createDb } from './db/pool.ts'
import { EncryptionKeyMismatch } from './secrets/key-check.ts'
import { resealAll } from './secrets/reseal.ts'
import { createSecretBox } from './secrets/secret-box.ts'
import { PluginHost, PluginLoadError } from './plugin/host.ts'
import { startRelay } from './relay.ts'
import { startTelemetry, type TelemetryHandle } from './telemetry/sdk.ts'

const ROLES = ['all', 'api', 'worker', 'migrate', 'reseal'] as const

let telemetry: TelemetryHandle | null = null

async function main(composition: Composition): Promise<void> {
  const arg = process.argv[2]
  if (arg && !(ROLES as readonly string[]).includes(arg)) {
    console.error(`unknown role "${arg}"; use one of: ${ROLES.join(', ')}`)
    process.exit(2)
  }
  const early = arg ?? process.env.RELAY_ROLE ?? 'all'
  // First: every span the relay makes needs the tracer provider in place. Off unless
  // OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_TRACES_EXPORTER asks for it (telemetry/sdk.ts).
  if (early !== 'migrate') telemetry = startTelemetry({ serviceName: `webhook-relay-${early}` })
  const env = { ...process.env }
  const production = env.NODE_ENV === 'production'
  const tokenFromEnv = !!env.RELAY_ADMIN_TOKEN
  // Only when something is missing: a relay given both never reads or moves dev files.
  const saved = production || (env.RELAY_ADMIN_TOKEN && env.RELAY_ENCRYPTION_KEY) ? undefined : loadDevSecrets(env.DATABASE_URL || DEFAULT_DATABASE_URL)
  if (saved) {
    env.RELAY_ADMIN_TOKEN ||= saved.RELAY_ADMIN_TOKEN
    env.RELAY_ENCRYPTION_KEY ||= saved.RELAY_ENCRYPTION_KEY
  }
  const config = loadConfig(env)
  const role = (arg ?? config.role ?? 'all') as Role | 'migrate' | 'reseal'
  const why = arg ? 'the command line' : config.role ? 'RELAY_ROLE' : 'the default; set RELAY_ROLE to choose'
  if (arg && config.role && arg !== config.role) console.warn(`RELAY_ROLE=${config.role} is ignored: the command line asks for ${arg}`)
  console.log(`role: ${role} (from ${why})`)

  if (role === 'migrate') {
    const r = await migrate(config.databaseUrl)
    console.log(r.applied.length ? `applied ${r.applied.join(', ')}` : 'database schema is up to date')
    return
  }
  if (role === 'reseal') {
    await migrate(config.databaseUrl)
    const db = await createDb(config.databaseUrl, { poolSize: 1 })
    try {
      const box = createSecretBox(config.encryptionKey, config.previousEncryptionKeys)
      const plugins = new PluginHost(box)
      await plugins.load([...(composition.plugins ?? []), ...config.plugins])
      const r = await resealAll(db, box, (action, c) => plugins.sealClearSecrets(action, c))
      console.log(`sealed the clear secrets of ${r.sealedFromClear} subscriptions; re-sealed ${r.values} secrets in ${r.rows} rows with key ${box.keyId}; RELAY_ENCRYPTION_KEY_PREVIOUS can now be removed`)
    } finally {
      await db.end()
    }
    return
  }

  if (config.generated.adminToken || config.generated.encryptionKey) {
    saveDevSecrets(config.databaseUrl, { RELAY_ADMIN_TOKEN: config.adminToken, RELAY_ENCRYPTION_KEY: config.encryptionKey.toString('base64') })
    console.log(`\nDevelopment mode: RELAY_ADMIN_TOKEN and/or RELAY_ENCRYPTION_KEY were not set, so they were generated`)
    console.log(`and saved to ${DEV_SECRETS_FILE} for this database (reused on the next start, from any directory).`)
    console.log(`Set both in production (NODE_ENV=production requires them).`)
  }

  const relay = await startRelay({ config, role, composition })
  let stopping = false
  const shutdown = (signal: string) => {
    if (stopping) return
    stopping = true
    relay.log.info({ signal }, 'shutting down')
    relay.stop().then(
      // Flush spans still buffered in the batch processor before exiting.
      () => telemetry?.shutdown().catch(() => {}).finally(() => process.exit(0)),
      (err: unknown) => {
        relay.log.error({ err }, 'shutdown failed')
        process.exit(1)
      },
    )
  }
  process.on('SIGTERM', () => shutdown('SIGTERM'))
  process.on('SIGINT', () => shutdown('SIGINT'))

  const address = await relay.listen()
  // The port actually bound: PORT=0 lets the kernel choose.
  const base = config.publicUrl ?? `http://localhost:${new URL(address).port}`
  // Print a development token (generated or from the dev file); never one the operator set.
  const token = tokenFromEnv ? '$RELAY_ADMIN_TOKEN' : config.adminToken
  if (role === 'worker') {
    console.log(`\nWebhook Relay worker running; health on ${address} (/healthz, /readyz), metrics on ${relay.metricsAddress}/metrics\n`)
    return
  }
  const extensionLines = (composition.extensions ?? []).map((x) => `\n  ${`${x.name}:`.padEnd(13)} ${base}${x.prefix}${x.hint ? `   (${x.hint(config)})` : ''}`).join('')
  console.log(`
Webhook Relay (${role}) listening on ${address}${extensionLines}
  Admin API:    ${base}/api/v1   (Authorization: Bearer ${token})
  API docs:     ${base}/api/docs
  Ingest:       ${base}/in/<source-slug>${tokenFromEnv || production ? '' : `\n  (development token and encryption key from ${DEV_SECRETS_FILE})`}
  Metrics:      ${relay.metricsAddress}/metrics   (its own port, RELAY_METRICS_PORT: keep it private)

Try it: a source that records what it receives (mode "record": stored and shown in the
UI, delivered nowhere until you add a subscription and switch it to "active"):
  curl -s -X POST ${base}/api/v1/sources -H "Authorization: Bearer ${token}" \\
       -H 'content-type: application/json' -d '{"name":"Try it","slug":"try-it","mode":"record"}'
  curl -s -X POST ${base}/in/try-it -H 'content-type: application/json' -d '{"hello":"world"}'
  then ${(composition.extensions ?? []).some((x) => x.prefix === '/ui') ? `open ${base}/ui/sources` : `curl -s ${base}/api/v1/events -H "Authorization: Bearer ${token}"`} (on a later start the first command answers 409: the
  source is there already). The README has a webhook through to a subscriber.
`)
}

/** Runs the process for the role on the command line; exits with a sysexits code on a known failure. */
export function runRelayCli(composition: Composition = {}): void {
  main(composition).catch(exitOnError)
}

function exitOnError(err: unknown): never {
  if (err instanceof ConfigError || err instanceof PluginLoadError || err instanceof EncryptionKeyMismatch) {
    console.error(`webhook-relay: ${err.message}`)
    process.exit(78)
  }
  const e = err as Error & { code?: string }
  if (e.code === 'ECONNREFUSED' || /ECONNREFUSED/.test(String(e.message))) {
    console.error(`webhook-relay: cannot reach a dependency: ${e.message}\nIs PostgreSQL (DATABASE_URL) and Redis (REDIS_URL) running?`)
    process.exit(69)
  }
  if (e.code === 'EADDRINUSE') {
    console.error(`webhook-relay: ${e.message}: another process holds the port. Set PORT (ingest, API, UI) or RELAY_METRICS_PORT (/metrics) to a free one.`)
    process.exit(78)
  }
  console.error(err)
  process.exit(1)
}
