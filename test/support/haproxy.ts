// What the HAProxy recipe's test needs around the binary: where it is, and a listener to wait for.
import { accessSync, constants as fsConstants } from 'node:fs'
import net from 'node:net'
import path from 'node:path'

/** Debian installs haproxy in /usr/sbin, which is not on every user's PATH. */
const SBIN_DIRS = ['/usr/sbin', '/usr/local/sbin', '/sbin']

/** The haproxy binary (`$HAPROXY` when set), or undefined when there is none: the test skips then. */
export function findHaproxy(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = env.HAPROXY
    ? [env.HAPROXY]
    : [...(env.PATH ?? '').split(path.delimiter).filter(Boolean), ...SBIN_DIRS].map((dir) => path.join(dir, 'haproxy'))
  return candidates.find((file) => {
    try {
      accessSync(file, fsConstants.X_OK)
      return true
    } catch {
      return false
    }
  })
}

/** Resolves once 127.0.0.1:`port` accepts a connection. */
export async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1')
      socket.once('connect', () => {
        socket.destroy()
        resolve(true)
      })
      socket.once('error', () => resolve(false))
    })
    if (open) return
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
