import type { PoolGuard } from './pool-guard'
import { pingWithin } from './validate-connection'

/**
 * Can the pool reach the database right now? Borrows through the guard and pings. A
 * connection that does not answer in time is destroyed rather than returned: on a frozen
 * server or a cut network it would otherwise sit in the pool holding a slot.
 */
export function probeDatabase(guard: PoolGuard, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  return new Promise((resolve, reject) => {
    guard.acquire((err, connection) => {
      if (err || !connection) return reject(err)
      pingWithin(connection, deadline - Date.now(), (alive) => {
        if (alive) {
          connection.release()
          return resolve()
        }
        guard.destroy(connection, 'validation_failed')
        reject(new Error(`the database did not answer a ping within ${timeoutMs} ms`))
      })
    })
  })
}
