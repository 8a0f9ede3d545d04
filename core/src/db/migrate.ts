/**
 * Applies the numbered SQL files in sql/ in order, each in its own transaction,
 * recorded in schema_migrations with a checksum (an applied file that changed stops
 * boot: migrations are append-only). A session advisory lock serialises concurrent
 * migrators (api and worker booting together, or a Helm hook and a pod).
 * Uses pg directly: migration files hold several statements, which need the simple
 * query protocol, and the database may not exist yet.
 */
import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import pg from 'pg'

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../sql/', import.meta.url))
/** Arbitrary constant: "webhook relay migrate" as an advisory lock key. */
const MIGRATION_LOCK_KEY = 7_202_611_001

export interface MigrationResult {
  applied: string[]
  databaseCreated: boolean
}

/** Creates the database named in the URL if it does not exist (connecting to `postgres`). */
export async function ensureDatabase(databaseUrl: string): Promise<boolean> {
  const url = new URL(databaseUrl)
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''))
  if (!name) throw new Error('DATABASE_URL must name a database')
  url.pathname = '/postgres'
  const admin = new pg.Client({ connectionString: url.toString() })
  await admin.connect()
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])
    if (rowCount) return false
    await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`)
    return true
  } catch (err) {
    // Another process created it between our check and our CREATE.
    if ((err as { code?: string }).code === '42P04') return false
    throw err
  } finally {
    await admin.end()
  }
}

export async function migrate(databaseUrl: string, dir = MIGRATIONS_DIR): Promise<MigrationResult> {
  const databaseCreated = await ensureDatabase(databaseUrl)
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  const applied: string[] = []
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY])
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now())`)
    const done = new Map<number, string>()
    for (const row of (await client.query('SELECT version, checksum FROM schema_migrations')).rows) {
      done.set(row.version as number, row.checksum as string)
    }
    const files = (await readdir(dir)).filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f)).sort()
    for (const file of files) {
      const version = Number(file.slice(0, 4))
      const text = await readFile(new URL(file, `file://${dir}`), 'utf8')
      const checksum = createHash('sha256').update(text).digest('hex')
      const previous = done.get(version)
      if (previous !== undefined) {
        if (previous !== checksum) throw new Error(`migration ${file} was changed after it was applied; add a new migration instead`)
        continue
      }
      await client.query('BEGIN')
      try {
        await client.query(text)
        await client.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [version, file, checksum])
        await client.query('COMMIT')
      } catch (err) {
        await client.query('ROLLBACK')
        throw new Error(`migration ${file} failed: ${(err as Error).message}`, { cause: err })
      }
      applied.push(file)
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => {})
    await client.end()
  }
  return { applied, databaseCreated }
}
