/**
 * Development secrets: when RELAY_ADMIN_TOKEN or RELAY_ENCRYPTION_KEY is not set outside
 * production, the relay generates them and keeps them here, per database, so the next
 * start, from any directory, opens the secrets that database holds. (They used to be kept
 * in the working directory: started from another one against the same database, the
 * relay made a new key and every delivery failed "cannot decrypt".)
 *
 * The file is ${XDG_CONFIG_HOME:-~/.config}/webhook-relay/dev-secrets.json, mode 0600,
 * keyed by the database's user, host, port and name (never its password). A
 * .relay-dev-secrets.json left in the working directory by an older version is read
 * once and moved in.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join, resolve } from 'node:path'

export interface DevSecrets {
  readonly RELAY_ADMIN_TOKEN: string
  readonly RELAY_ENCRYPTION_KEY: string
}

export const DEV_SECRETS_FILE = join(process.env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'webhook-relay', 'dev-secrets.json')
const LEGACY_FILE = resolve(process.cwd(), '.relay-dev-secrets.json')

/** Which database the secrets belong to: the URL without its password or options. */
export function databaseKey(databaseUrl: string): string {
  const u = new URL(databaseUrl)
  return `${u.protocol}//${decodeURIComponent(u.username) || 'postgres'}@${u.hostname}:${u.port || '5432'}${u.pathname}`
}

function readAll(file = DEV_SECRETS_FILE): Record<string, DevSecrets> {
  if (!existsSync(file)) return {}
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, DevSecrets>
}

function writeAll(all: Record<string, DevSecrets>, file = DEV_SECRETS_FILE): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 })
  writeFileSync(`${file}.tmp`, JSON.stringify(all, null, 2), { mode: 0o600 })
  renameSync(`${file}.tmp`, file)
}

/** The secrets kept for this database, if any. */
export function loadDevSecrets(databaseUrl: string): DevSecrets | undefined {
  const key = databaseKey(databaseUrl)
  const all = readAll()
  if (all[key]) return all[key]
  if (!existsSync(LEGACY_FILE)) return undefined
  const legacy = JSON.parse(readFileSync(LEGACY_FILE, 'utf8')) as DevSecrets
  writeAll({ ...all, [key]: legacy })
  renameSync(LEGACY_FILE, `${LEGACY_FILE}.moved`)
  console.log(`moved ${LEGACY_FILE} into ${DEV_SECRETS_FILE} (kept per database from now on)`)
  return legacy
}

export function saveDevSecrets(databaseUrl: string, secrets: DevSecrets): void {
  writeAll({ ...readAll(), [databaseKey(databaseUrl)]: secrets })
}
