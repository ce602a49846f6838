import type { FastifyServerOptions } from 'fastify'
import type { Config } from '../config'

/** pino options: secrets are redacted wherever they could appear in a log line. */
export function loggerOptions(config: Config): FastifyServerOptions['logger'] {
  return {
    level: config.LOG_LEVEL,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'password',
        '*.password',
        'DATABASE_URL',
        '*.DATABASE_URL',
        'config.DATABASE_URL'
      ],
      censor: '[redacted]'
    }
  }
}
