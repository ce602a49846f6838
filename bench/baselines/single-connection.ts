import { singleConnection } from './database-access'
import { databaseUrlFromEnv, listenBaseline } from './routes'

// Baseline (c): one connection opened at start-up and shared by every request.
singleConnection(databaseUrlFromEnv())
  .then(listenBaseline)
  .catch((err) => {
    console.error(err)
    process.exit(1)
  })
