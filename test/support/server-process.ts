import { spawn, type ChildProcessByStdio } from 'node:child_process'
import path from 'node:path'
import type { Readable } from 'node:stream'

export const ROOT = path.join(__dirname, '..', '..')

/**
 * The environment for a child process started by a test: tap's own variables (its
 * NODE_OPTIONS loader, TAP_*) are left out, so the child runs as an operator would run it.
 */
export function operatorEnv(env: Record<string, string> = {}): NodeJS.ProcessEnv {
  const clean: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (key === 'NODE_OPTIONS' || key.startsWith('TAP') || key.startsWith('_TAPJS')) continue
    clean[key] = value
  }
  return { ...clean, ...env }
}

export type ServerProcess = ChildProcessByStdio<null, Readable, Readable> & {
  /** everything the process wrote so far */
  output: { stdout: string; stderr: string }
  /** resolves with the exit code once the process has ended */
  exited: Promise<number | null>
}

/**
 * Starts `node -r ts-node/register/transpile-only src/server.ts`, what `npm run dev` runs
 * without its watcher.
 */
export function startServer(env: Record<string, string>): ServerProcess {
  return startTypeScript('src/server.ts', [], env)
}

/**
 * Starts a TypeScript entry point as an operator's `ts-node` would. tap's process tracker puts
 * its ESM loader back into NODE_OPTIONS of every child it sees spawned, and with that loader
 * node refuses a .ts entry point; `env -u` drops it again (env execs node, so the pid and its
 * signals stay the child's).
 */
export function startTypeScript(entry: string, args: string[], env: Record<string, string>, cwd = ROOT): ServerProcess {
  const command = ['-u', 'NODE_OPTIONS', process.execPath, '-r', 'ts-node/register/transpile-only', entry, ...args]
  const child = spawn('env', command, {
    cwd,
    env: operatorEnv({ LOG_LEVEL: 'info', HOST: '127.0.0.1', PORT: '0', ...env }),
    stdio: ['ignore', 'pipe', 'pipe']
  }) as ServerProcess
  child.output = { stdout: '', stderr: '' }
  child.stdout.on('data', (chunk) => (child.output.stdout += chunk))
  child.stderr.on('data', (chunk) => (child.output.stderr += chunk))
  child.exited = new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code) => resolve(code))
  })
  return child
}

/** Runs the server until it exits by itself (start-up failures), killing it after `timeoutMs`. */
export async function runServerToExit(env: Record<string, string>, timeoutMs = 30_000) {
  const child = startServer(env)
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  const code = await child.exited.finally(() => clearTimeout(timer))
  return { code, ...child.output }
}

/** Waits until the process's stdout (or stderr) matches `pattern` and returns the match; fails on exit or timeout. */
export async function waitForOutput(
  child: ServerProcess,
  pattern: RegExp,
  timeoutMs = 30_000,
  stream: 'stdout' | 'stderr' = 'stdout'
): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    pattern.lastIndex = 0
    const match = pattern.exec(child.output[stream])
    if (match) return match
    if (child.exitCode !== null) break
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  child.kill('SIGKILL')
  throw new Error(`server never printed ${pattern}:\n${child.output.stdout}\n${child.output.stderr}`)
}

/** Waits for pino's "Server listening at http://..." line and returns that base URL. */
export async function listeningUrl(child: ServerProcess, timeoutMs = 30_000): Promise<string> {
  const match = await waitForOutput(child, /Server listening at (http:\/\/127\.0\.0\.1:\d+)/, timeoutMs)
  return match[1]
}
