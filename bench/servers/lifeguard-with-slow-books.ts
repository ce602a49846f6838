import 'reflect-metadata'
import { loadConfig } from '../../src/config'
import { buildApp } from '../../src/app'
import { entities } from '../../entities'
import { SlowBook } from './slow-book'

/**
 * src/server.ts plus one bench-only entity (SlowBook). The bench prepares and migrates the
 * database itself, so this skips start-up migrations; everything else is buildApp as in
 * production. SIGTERM closes the app, which lets `--cpu-prof` write its profile.
 */
async function main() {
  const config = loadConfig()
  const app = await buildApp(config, { entities: [...entities, SlowBook] })
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      app.close().then(() => process.exit(0), () => process.exit(1))
    })
  }
  await app.listen({ port: config.PORT, host: config.HOST })
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
