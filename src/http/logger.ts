import type { FastifyBaseLogger, FastifyServerOptions } from 'fastify'
import pino from 'pino'
import type { Config } from '../config'
import { serializeError } from './log-redaction'

/**
 * pino options: secrets are redacted wherever they could appear in a log line, and errors go
 * through serializeError, so no bound value or SQL with values reaches the log at any level.
 * `stream` defaults to stdout.
 */
export function loggerOptions(config: Config, stream?: { write(line: string): void }): FastifyServerOptions['logger'] {
  return {
    level: config.LOG_LEVEL,
    ...(stream && { stream }),
    serializers: { err: serializeError },
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'password',
        '*.password',
        'DATABASE_URL',
        '*.DATABASE_URL',
        'config.DATABASE_URL',
        'MIGRATIONS_DATABASE_URL',
        '*.MIGRATIONS_DATABASE_URL',
        'config.MIGRATIONS_DATABASE_URL',
        'DATABASE_REPLICA_URLS',
        '*.DATABASE_REPLICA_URLS',
        'config.DATABASE_REPLICA_URLS'
      ],
      censor: '[redacted]'
    }
  }
}

/** The logger for what happens before the app (and its logger) exists: the same options, on stdout. */
export function startupLogger(config: Config): pino.Logger {
  return pino(loggerOptions(config) as pino.LoggerOptions)
}

/**
 * Writes out every buffered log line, in order, and ends the log stream. pino writes to stdout
 * asynchronously; close-with-grace calls process.exit() as soon as shutdown resolves, and
 * pino's exit-time flush writes its buffer before a line still in flight, so the last
 * "request completed" lines came out after "shut down" (seen in CI) or could be lost.
 */
export async function endLog(log: FastifyBaseLogger): Promise<void> {
  // pino's default destination is a sonic-boom stream: end() waits for the write in flight.
  const stream = (log as unknown as Record<symbol, LogStream | undefined>)[pino.symbols.streamSym]
  if (!stream || typeof stream.end !== 'function' || stream.destroyed) return
  await new Promise<void>((resolve) => {
    stream.once('close', () => resolve())
    stream.end()
  })
}

interface LogStream {
  destroyed?: boolean
  end(): void
  once(event: 'close', listener: () => void): void
}
