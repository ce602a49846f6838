import t from 'tap'
import { ConfigError, loadConfig } from '../../src/config'

// MIGRATIONS_RUN decides whether start-up may change the schema: only an unmistakable value counts.
// 1 and 0 are as unmistakable as true and false (every switch takes them: src/config.ts).
t.test('MIGRATIONS_RUN defaults to true and reads exactly true/false or 1/0', async (t) => {
  t.equal(loadConfig({}).MIGRATIONS_RUN, true, 'start-up migrates by default, as before')
  t.equal(loadConfig({ MIGRATIONS_RUN: '' }).MIGRATIONS_RUN, true, 'empty means the default')
  t.equal(loadConfig({ MIGRATIONS_RUN: 'false' }).MIGRATIONS_RUN, false)
  t.equal(loadConfig({ MIGRATIONS_RUN: 'true' }).MIGRATIONS_RUN, true)
  t.equal(loadConfig({ MIGRATIONS_RUN: '0' }).MIGRATIONS_RUN, false)
  t.equal(loadConfig({ MIGRATIONS_RUN: '1' }).MIGRATIONS_RUN, true)
  for (const value of ['no', 'FALSE', '00', 'off']) {
    t.throws(
      () => loadConfig({ MIGRATIONS_RUN: value }),
      new ConfigError(
        `Invalid configuration: MIGRATIONS_RUN must be true or false (1 or 0) — apply pending migrations at start-up ` +
          `(false: refuse to start while any is pending) (got "${value}")`
      ),
      `${value} is refused, not guessed`
    )
  }
})
