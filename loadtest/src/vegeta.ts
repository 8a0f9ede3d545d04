/**
 * Finds vegeta and runs it. Order: `vegeta` on PATH, then ~/go/bin/vegeta (where
 * `go install` puts it), then `docker run` of the vegeta image when a Docker engine
 * answers. Otherwise explains how to install it and exits non-zero.
 */
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, createReadStream, createWriteStream } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'

export const VEGETA_VERSION = 'v12.13.0'
/** peter-evans/vegeta-docker; its entrypoint is a shell, so the command names vegeta. Ships vegeta 12.8.4. */
export const VEGETA_IMAGE = 'peterevans/vegeta:6.9.1'
const INSTALL_HINT = `vegeta not found. Install it with one of:
  go install github.com/tsenart/vegeta/v12@${VEGETA_VERSION}    (binary in ~/go/bin, found automatically)
  a release binary from https://github.com/tsenart/vegeta/releases on your PATH
  a Docker engine (the script then runs ${VEGETA_IMAGE})`

export interface Vegeta {
  /** How it was found, for the report: a path or `docker:<image>`. */
  readonly via: string
  /** Runs vegeta with `args`; stdin from `stdinFile` and stdout to `stdoutFile` when given. */
  run(args: string[], io?: { stdinFile?: string; stdoutFile?: string }): Promise<void>
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const p = join(dir, name)
    if (dir && existsSync(p)) return p
  }
  return undefined
}

function dockerWorks(): boolean {
  if (!onPath('docker')) return false
  return spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { stdio: 'ignore', timeout: 5000 }).status === 0
}

export function findVegeta(): Vegeta | undefined {
  const bin = onPath('vegeta') ?? [join(homedir(), 'go', 'bin', 'vegeta')].find(existsSync)
  if (bin) return { via: bin, run: (args, io) => exec(bin, args, io) }
  if (dockerWorks()) {
    // Host networking so 127.0.0.1 targets mean this machine. Callers pass absolute file
    // paths (-targets=/…, -output=/…); each one's directory is mounted at the same path.
    return {
      via: `docker:${VEGETA_IMAGE}`,
      run: (args, io) => {
        const dirs = new Set(args.map((a) => a.split('=').pop()!).filter((p) => p.startsWith('/')).map((p) => dirname(p)))
        const mounts = [...dirs].flatMap((d) => ['-v', `${d}:${d}`])
        return exec('docker', ['run', '--rm', '-i', '--network=host', ...mounts, VEGETA_IMAGE, 'vegeta', ...args], io)
      },
    }
  }
  return undefined
}

/** findVegeta, or print how to install it and exit with status 69 (EX_UNAVAILABLE). */
export function requireVegeta(): Vegeta {
  const v = findVegeta()
  if (!v) {
    console.error(INSTALL_HINT)
    process.exit(69)
  }
  return v
}

function exec(cmd: string, args: string[], io: { stdinFile?: string; stdoutFile?: string } = {}): Promise<void> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(cmd, args, { stdio: [io.stdinFile ? 'pipe' : 'ignore', io.stdoutFile ? 'pipe' : 'inherit', 'pipe'] })
    let stderr = ''
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()))
    if (io.stdinFile) createReadStream(io.stdinFile).pipe(child.stdin!)
    const out = io.stdoutFile ? child.stdout!.pipe(createWriteStream(io.stdoutFile)) : undefined
    const written = out ? new Promise<void>((r) => out.on('finish', () => r())) : Promise.resolve()
    child.on('error', reject)
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${stderr.trim()}`))
      else void written.then(() => resolveRun())
    })
  })
}
