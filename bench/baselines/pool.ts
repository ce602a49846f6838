import { pooled } from './database-access'
import { databaseUrlFromEnv, listenBaseline } from './routes'

// Baseline (a): Fastify + one mysql2 pool of DB_POOL_SIZE connections, the same size Lifeguard uses.
listenBaseline(pooled(databaseUrlFromEnv(), Number(process.env.DB_POOL_SIZE ?? 10))).catch((err) => {
  console.error(err)
  process.exit(1)
})
