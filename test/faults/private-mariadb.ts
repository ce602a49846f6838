import { spawn, execFile, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { accessSync, existsSync, readFileSync, statSync, constants as fsConstants } from 'node:fs'
import { mkdtemp, rm, open, readdir, readFile, rename } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import mysql from 'mysql2/promise'
import { freePort } from '../support/free-port'

/** Re-exported: the fault tests take their ports from here. */
export { freePort }

const execFileAsync = promisify(execFile)
const STARTUP_TIMEOUT_MS = 20_000

/**
 * Where the MariaDB programs are looked for after PATH: Debian and Ubuntu put mariadbd in
 * /usr/sbin, which is not on every user's PATH; Fedora/RHEL put it in /usr/libexec.
 */
const SBIN_DIRS = ['/usr/sbin', '/usr/local/sbin', '/usr/libexec', '/sbin']

/**
 * The path of a MariaDB program: `$<variable>` when set (a path, or a name looked up like
 * the default), else the first executable `name` on PATH or in SBIN_DIRS.
 */
export function findProgram(name: string, variable: string, env: NodeJS.ProcessEnv = process.env): string {
  const configured = env[variable]
  if (configured) {
    const found = configured.includes(path.sep) ? (isExecutable(configured) ? configured : undefined) : search(configured, env)
    if (!found) throw new Error(`${variable}=${configured} is not an executable file; point ${variable} at ${name}`)
    return found
  }
  const found = search(name, env)
  if (!found) {
    throw new Error(
      `${name} not found on PATH or in ${SBIN_DIRS.join(', ')}, and ${variable} is not set. The fault tests ` +
        `start private MariaDB servers: install MariaDB server, or set MARIADBD and MARIADB_INSTALL_DB to the ` +
        `paths of mariadbd and mariadb-install-db.`
    )
  }
  return found
}

function search(name: string, env: NodeJS.ProcessEnv): string | undefined {
  const dirs = [...(env.PATH ?? '').split(path.delimiter).filter(Boolean), ...SBIN_DIRS]
  return dirs.map((dir) => path.join(dir, name)).find(isExecutable)
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, fsConstants.X_OK)
    return statSync(file).isFile()
  } catch {
    return false
  }
}

let programs: { mariadbd: string; installDb: string } | undefined
/** Looked up on the first private server, so a missing binary fails that test, not the import. */
function mariaDbPrograms() {
  programs ??= {
    mariadbd: findProgram('mariadbd', 'MARIADBD'),
    installDb: findProgram('mariadb-install-db', 'MARIADB_INSTALL_DB')
  }
  return programs
}

type Tap = { teardown(fn: () => unknown): void }

/** PEM file paths for a server that speaks TLS; the CA also verifies client certificates. */
export interface PrivateServerTls {
  ca: string
  cert: string
  key: string
  /** `require_secure_transport=ON`: the server refuses every plaintext login. */
  requireSecureTransport?: boolean
}

/**
 * A MariaDB server of the test's own — own data directory, port and socket — so a fault test
 * can stop, restart and freeze it without touching the shared server other tests use.
 * Stopped and deleted in teardown, also when the test fails.
 */
export class PrivateMariaDb {
  private process?: ChildProcess
  private paused = false

  private constructor(
    readonly dataDir: string,
    readonly port: number,
    /** More mariadbd options, e.g. `--default-time-zone=+05:30`. */
    private readonly serverOptions: string[],
    /** When set, the server speaks TLS with these files, and admin() connects with TLS too. */
    readonly tls?: PrivateServerTls
  ) {}

  static async start(
    t: Tap,
    serverOptions: string[] = [],
    options: {
      tls?: PrivateServerTls
      /** Makes `<dir>/data` instead of mariadb-install-db: a Galera joiner receives its data by state transfer. */
      createDataDir?: (dir: string) => Promise<void>
    } = {}
  ): Promise<PrivateMariaDb> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'lg-mariadb-'))
    const server = new PrivateMariaDb(dir, await freePort(), serverOptions, options.tls)
    t.teardown(async () => {
      await server.stop()
      await rm(dir, { recursive: true, force: true })
    })
    if (options.createDataDir) await options.createDataDir(dir)
    else await copyInstalledDataDir(path.join(dir, 'data'))
    await server.launch()
    return server
  }

  /** `mariadb://root@127.0.0.1:<port>` — add a database name to it. */
  get url(): string {
    return `mariadb://root@127.0.0.1:${this.port}`
  }

  admin(): Promise<mysql.Connection> {
    const ssl = this.tls && { ca: readFileSync(this.tls.ca, 'utf8') }
    return mysql.createConnection({ host: '127.0.0.1', port: this.port, user: 'root', ssl })
  }

  private tlsOptions(): string[] {
    if (!this.tls) return []
    const { ca, cert, key, requireSecureTransport } = this.tls
    return [`--ssl-ca=${ca}`, `--ssl-cert=${cert}`, `--ssl-key=${key}`, ...(requireSecureTransport ? ['--require-secure-transport=ON'] : [])]
  }

  async launch(): Promise<void> {
    const log = await open(path.join(this.dataDir, 'server.log'), 'a')
    this.process = spawn(
      mariaDbPrograms().mariadbd,
      [
        '--no-defaults',
        `--datadir=${path.join(this.dataDir, 'data')}`,
        `--port=${this.port}`,
        `--socket=${path.join(this.dataDir, 'mariadb.sock')}`,
        `--pid-file=${path.join(this.dataDir, 'mariadb.pid')}`,
        `--tmpdir=${this.dataDir}`,
        '--user=root',
        '--bind-address=127.0.0.1',
        '--skip-name-resolve',
        '--innodb-buffer-pool-size=32M',
        '--max-connections=200',
        ...this.tlsOptions(),
        ...this.serverOptions
      ],
      { stdio: ['ignore', log.fd, log.fd] }
    )
    // If this test process dies without its teardown, do not leave a server running.
    const child = this.process
    const killOnExit = () => child.kill('SIGKILL')
    process.once('exit', killOnExit)
    child.once('exit', () => {
      process.off('exit', killOnExit)
      log.close().catch(() => {})
    })
    await this.waitUntilReady()
  }

  /** Clean shutdown (SIGTERM), as an operator's restart would do; resolves when the process is gone. */
  async stop(): Promise<void> {
    const child = this.process
    if (!child || child.exitCode !== null || child.signalCode !== null) return
    if (this.paused) this.resume()
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    const killTimer = setTimeout(() => child.kill('SIGKILL'), 10_000)
    await exited
    clearTimeout(killTimer)
    this.process = undefined
  }

  async restart(): Promise<void> {
    await this.stop()
    await this.launch()
  }

  /** SIGSTOP: the server keeps its sockets open but answers nothing, like a frozen host. */
  /**
   * Freezes the server and waits until every one of its threads is really stopped: on a busy
   * machine a thread on the other core can still answer a query for a moment after the signal.
   */
  async pause(): Promise<void> {
    const pid = this.process?.pid
    if (pid === undefined) return
    this.process!.kill('SIGSTOP')
    this.paused = true
    const deadline = Date.now() + 2_000
    while (Date.now() < deadline && !(await allThreadsStopped(pid))) await new Promise((r) => setTimeout(r, 5))
  }

  resume(): void {
    this.process?.kill('SIGCONT')
    this.paused = false
  }

  private async waitUntilReady(): Promise<void> {
    const deadline = Date.now() + STARTUP_TIMEOUT_MS
    for (;;) {
      try {
        const connection = await this.admin()
        await connection.end()
        return
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`private MariaDB did not start: ${(err as Error).message}`)
        if (this.process?.exitCode !== null) throw new Error(`private MariaDB exited; see ${this.dataDir}/server.log`)
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    }
  }
}

/** What mariadb-install-db is run with; part of the cached copy's key. */
const INSTALL_OPTIONS = ['--no-defaults', '--user=root', '--auth-root-authentication-method=normal', '--skip-test-db']

/**
 * Gives `dataDir` a fresh server's files: a copy of one mariadb-install-db run, kept in the
 * tmpdir for every later server. install-db takes ~5 s of mostly fsync per run (20 servers a
 * suite); the copy ~0.3 s. The copy is what install-db would write, byte for byte, from a
 * server shut down cleanly, so a server started on it is as fresh as before.
 */
async function copyInstalledDataDir(dataDir: string): Promise<void> {
  // Sparse: ib_logfile0 is 96 MB of mostly zeros, written anew into every copy otherwise.
  await execFileAsync('cp', ['-a', '--sparse=always', await installedDataDir(), dataDir])
}

let installed: Promise<string> | undefined
function installedDataDir(): Promise<string> {
  installed ??= installOnce().catch((err) => {
    installed = undefined
    throw err
  })
  return installed
}

/**
 * The cached install, made if missing. Named after what it depends on (the programs' builds,
 * the options, the host name install-db writes into mysql.user), so an upgraded MariaDB gets a
 * new one. Published by rename(), which is atomic: a test sees a whole install or none, and
 * when two tests build at once the second rename fails and that test uses the first one's.
 */
async function installOnce(): Promise<string> {
  const { mariadbd, installDb } = mariaDbPrograms()
  const key = createHash('sha256')
    .update(JSON.stringify([INSTALL_OPTIONS, os.hostname(), ...[mariadbd, installDb].map((file) => [file, statSync(file).size, statSync(file).mtimeMs])]))
    .digest('hex')
    .slice(0, 16)
  const cached = path.join(os.tmpdir(), `lg-mariadb-installed-${key}`)
  if (existsSync(cached)) return cached
  const work = await mkdtemp(path.join(os.tmpdir(), 'lg-mariadb-install-'))
  try {
    await execFileAsync(installDb, [
      ...INSTALL_OPTIONS,
      `--datadir=${path.join(work, 'data')}`,
      // A tmpdir of its own: with /tmp shared, install-db runs started at the same time (two
      // fault tests in parallel, a primary and its replica) lose each other's temporary tables
      // — seen as "Could not remove temporary table '/tmp/#sql-temptable-…', error: 2" or
      // "Unknown table 'mysql.tmp_user_sys'" in about 1 of 6 runs four at a time; none with
      // their own tmpdir. (Likely the start-up clean-up of stale #sql* files in the tmpdir.)
      `--tmpdir=${work}`
    ])
    await execFileAsync('cp', ['-a', '--sparse=always', path.join(work, 'data'), path.join(work, 'sparse')])
    await rename(path.join(work, 'sparse'), cached).catch((err) => {
      if (!existsSync(cached)) throw err
    })
  } finally {
    await rm(work, { recursive: true, force: true })
  }
  return cached
}

/** True when /proc shows every thread of `pid` in the stopped state (`T`). */
async function allThreadsStopped(pid: number): Promise<boolean> {
  try {
    const threads = await readdir(`/proc/${pid}/task`)
    for (const thread of threads) {
      const stat = await readFile(`/proc/${pid}/task/${thread}/stat`, 'utf8')
      // The state is the field right after the parenthesised command name.
      if (stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'T') return false
    }
    return true
  } catch {
    return false
  }
}
