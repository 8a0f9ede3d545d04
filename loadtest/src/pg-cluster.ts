/**
 * A PostgreSQL cluster of the benchmark's own: initdb into a temporary directory,
 * production-like settings (autovacuum on, unlike the machine's shared cluster), and no
 * TCP port at all: it listens on a Unix socket in its own directory, so it cannot clash
 * with another server. The connection host is `postgres://postgres@<socket dir>`.
 * Removed at stop.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** What a tuned production instance of this size would set; the rest are PostgreSQL's defaults. */
export const PRODUCTION_SETTINGS: Readonly<Record<string, string>> = {
  autovacuum: 'on',
  autovacuum_naptime: '15s',
  autovacuum_vacuum_scale_factor: '0.05',
  autovacuum_analyze_scale_factor: '0.05',
  autovacuum_vacuum_cost_limit: '2000',
  shared_buffers: '1GB',
  effective_cache_size: '4GB',
  maintenance_work_mem: '256MB',
  max_wal_size: '4GB',
  checkpoint_timeout: '15min',
  wal_compression: 'on',
  random_page_cost: '1.1',
  max_connections: '200',
}

export interface PgCluster {
  /** For DATABASE_URL: append `/<database>`. */
  readonly host: string
  readonly dataDir: string
  /** The server's log (removed with the cluster at stop). */
  readonly logFile: string
  stop(): void
}

function binDir(): string {
  const root = '/usr/lib/postgresql'
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : []
  const dir = versions.map((v) => join(root, v, 'bin')).find((d) => existsSync(join(d, 'initdb')))
  if (!dir) throw new Error('initdb not found under /usr/lib/postgresql/*/bin: install the postgresql package')
  return dir
}

export function startPgCluster(settings: Readonly<Record<string, string>> = PRODUCTION_SETTINGS): PgCluster {
  const bin = binDir()
  const dir = mkdtempSync(join(tmpdir(), 'relay-pg-'))
  const dataDir = join(dir, 'data')
  // initdb refuses to run as root; run the server as the postgres user then.
  const asRoot = process.getuid?.() === 0
  const run = (cmd: string, args: string[]) => {
    const full = join(bin, cmd)
    return asRoot ? execFileSync('runuser', ['-u', 'postgres', '--', full, ...args], { stdio: 'pipe' }) : execFileSync(full, args, { stdio: 'pipe' })
  }
  if (asRoot) {
    const pw = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' })
    const gw = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' })
    chownSync(dir, Number(pw.stdout.trim()), Number(gw.stdout.trim()))
  }
  run('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8'])
  const options = ["-c listen_addresses=''", `-c unix_socket_directories=${dir}`, '-c port=5432']
  for (const [k, v] of Object.entries(settings)) options.push(`-c ${k}=${v}`)
  run('pg_ctl', ['-D', dataDir, '-l', join(dir, 'server.log'), '-w', '-t', '60', '-o', options.join(' '), 'start'])
  let stopped = false
  return {
    host: `postgres://postgres@${encodeURIComponent(dir)}:5432`,
    dataDir,
    logFile: join(dir, 'server.log'),
    stop() {
      if (stopped) return
      stopped = true
      try {
        run('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', 'stop'])
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    },
  }
}
