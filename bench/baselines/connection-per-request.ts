import { connectionPerRequest } from './database-access'
import { databaseUrlFromEnv, listenBaseline } from './routes'

// Baseline (b): opens and closes a MariaDB connection for every request.
listenBaseline(connectionPerRequest(databaseUrlFromEnv())).catch((err) => {
  console.error(err)
  process.exit(1)
})
