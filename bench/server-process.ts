import { spawn, type ChildProcess } from 'node:child_process'
import net from 'node:net'
import path from 'node:path'

export const REPO_ROOT = path.join(__dirname, '..')

export interface ServerSpec {
  /** Short name used in tables: `lifeguard`, `pool`, `single`, `per-request`. */
  name: string
  /** Entry file relative to the repository root (`src/server.ts`); its compiled twin is run. */
  entry: string
  env: Record<string, string>
}

export interface RunningServer {
  name: string
  url: string
  pid: number
  stop(): Promise<void>
}

/** Children still running, killed if the bench itself exits early (an error, Ctrl-C). */
const running = new Set<ChildProcess>()
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL')
})

const START_TIMEOUT_MS = 60_000
const STOP_TIMEOUT_MS = 15_000
const LOG_TAIL_CHARS = 4_000

/** A port that was free a moment ago (the child binds it right away). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer()
    probe.unref()
    probe.on('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo
      probe.close(() => resolve(port))
    })
  })
}

/**
 * Starts a server as its own process, so it has its own event loop and heap like in
 * production, and resolves once `/health/live` answers. Every server, Lifeguard and the
 * baselines alike, runs as plain JavaScript from `buildDir` (see compile.ts).
 */
export async function startServer(spec: ServerSpec, buildDir: string, nodeFlags: string[] = []): Promise<RunningServer> {
  const port = await freePort()
  const script = path.join(buildDir, spec.entry.replace(/\.ts$/, '.js'))
  const child = spawn(process.execPath, [...nodeFlags, script], {
    cwd: REPO_ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', ...spec.env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  running.add(child)
  child.once('exit', () => running.delete(child))
  let log = ''
  const keepTail = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-LOG_TAIL_CHARS)
  }
  child.stdout!.on('data', keepTail)
  child.stderr!.on('data', keepTail)
  const url = `http://127.0.0.1:${port}`
  try {
    await waitUntilLive(child, url)
  } catch (err) {
    child.kill('SIGKILL')
    throw new Error(`${spec.name} (${spec.entry}) did not start: ${(err as Error).message}\n${log}`)
  }
  return { name: spec.name, url, pid: child.pid!, stop: () => stopChild(child) }
}

async function waitUntilLive(child: ChildProcess, url: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with code ${child.exitCode}`)
    try {
      const response = await fetch(`${url}/health/live`)
      if (response.ok) return
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  throw new Error(`no answer from ${url}/health/live within ${START_TIMEOUT_MS} ms`)
}

/** SIGTERM (a graceful close, which also lets --cpu-prof write its profile), SIGKILL if it hangs. */
function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    const killer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS)
    child.once('exit', () => {
      clearTimeout(killer)
      resolve()
    })
    child.kill('SIGTERM')
  })
}
