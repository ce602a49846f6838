import { existsSync } from 'node:fs'
import path from 'node:path'
import type { ConnectionState } from './connection-state'

export interface LeakLogger {
  warn(obj: object, msg: string): void
}

const POOL_DIR = __dirname + path.sep
const LIBRARY_DIR = `${path.sep}node_modules${path.sep}`

/**
 * Where a borrow came from. Only captured when leak detection is on (a stack per borrow is
 * not free); trimmed to application frames only when a warning is actually logged.
 */
export function captureBorrowStack(leakDetectionMs: number): string | undefined {
  if (leakDetectionMs <= 0) return undefined
  const holder: { stack?: string } = {}
  const previousLimit = Error.stackTraceLimit
  Error.stackTraceLimit = 50 // TypeORM alone adds about ten frames between the caller and the pool
  Error.captureStackTrace(holder)
  Error.stackTraceLimit = previousLimit
  return holder.stack
}

/**
 * The borrow stack without the guard's and libraries' frames, so its first line names the
 * application code that took the connection. Library frames can carry source-mapped paths
 * (TypeORM maps to a `src/driver/...` that is not on disk), so a frame counts as the
 * application's only when its file really exists outside node_modules.
 */
export function applicationFrames(stack: string): string[] {
  const frames = stack.split('\n').slice(1).map((frame) => frame.trim())
  const isApplicationFrame = (frame: string) => {
    const file = /\(?((?:\/|[A-Za-z]:\\)[^():]+):\d+:\d+\)?$/.exec(frame)?.[1]
    return file !== undefined && !file.startsWith(POOL_DIR) && !file.includes(LIBRARY_DIR) && existsSync(file)
  }
  const application = frames.filter(isApplicationFrame)
  return application.length > 0 ? application : frames
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
    const frames = applicationFrames(borrowStack ?? '')
    logger.warn(
      {
        heldMs: Date.now() - (borrowedAt ?? Date.now()),
        borrowedBy: frames[0],
        borrowStack: frames.join('\n')
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
