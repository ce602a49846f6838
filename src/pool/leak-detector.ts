import path from 'node:path'
import type { ConnectionState } from './connection-state'

export interface LeakLogger {
  warn(obj: object, msg: string): void
}

const POOL_DIR = __dirname + path.sep
const LIBRARY_DIR = `${path.sep}node_modules${path.sep}`

/**
 * Where a borrow came from, without the guard's and libraries' own frames, so the first line
 * names the application code that took the connection. Only captured when leak detection is
 * on: a stack per borrow is not free.
 */
export function captureBorrowStack(leakDetectionMs: number): string | undefined {
  if (leakDetectionMs <= 0) return undefined
  const holder: { stack?: string } = {}
  const previousLimit = Error.stackTraceLimit
  Error.stackTraceLimit = 50 // TypeORM alone adds about ten frames between the caller and the pool
  Error.captureStackTrace(holder)
  Error.stackTraceLimit = previousLimit
  const frames = (holder.stack ?? '').split('\n').slice(1)
  const appFrames = frames.filter((frame) => !frame.includes(POOL_DIR) && !frame.includes(LIBRARY_DIR))
  return (appFrames.length > 0 ? appFrames : frames).map((frame) => frame.trim()).join('\n')
}

/** Arms the one warning for this borrow; stopLeakTimer disarms it on release. */
export function startLeakTimer(
  state: ConnectionState,
  leakDetectionMs: number,
  borrowStack: string | undefined,
  logger: LeakLogger
): void {
  if (leakDetectionMs <= 0) return
  const borrowedAt = state.borrowedAt
  state.leakTimer = setTimeout(() => {
    state.leakTimer = undefined
    logger.warn(
      {
        heldMs: Date.now() - (borrowedAt ?? Date.now()),
        borrowedBy: borrowStack?.split('\n')[0],
        borrowStack
      },
      `a database connection has been held longer than DB_POOL_LEAK_DETECTION_MS (${leakDetectionMs} ms); it may have leaked`
    )
  }, leakDetectionMs)
  state.leakTimer.unref()
}

export function stopLeakTimer(state: ConnectionState): void {
  if (state.leakTimer) clearTimeout(state.leakTimer)
  state.leakTimer = undefined
}
