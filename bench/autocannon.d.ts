// The slice of autocannon's programmatic API the bench uses (the package ships no types).
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events'

  namespace autocannon {
    interface Request {
      method?: string
      path?: string
      headers?: Record<string, string>
      body?: string
      setupRequest?: (request: Request, context: Record<string, unknown>) => Request
    }
    interface Options {
      url: string
      connections?: number
      duration?: number
      timeout?: number
      requests?: Request[]
    }
    interface Result {
      duration: number
      errors: number
      timeouts: number
      resets: number
      non2xx: number
      '2xx': number
      statusCodeStats: Record<string, { count: number }>
    }
    interface Instance extends EventEmitter, PromiseLike<Result> {
      on(event: 'response', listener: (client: unknown, statusCode: number, bytes: number, responseTimeMs: number) => void): this
      on(event: string, listener: (...args: any[]) => void): this
    }
  }
  function autocannon(options: autocannon.Options): autocannon.Instance
  export = autocannon
}
