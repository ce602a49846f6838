import t from 'tap'
import { buildTestApp } from '../helper'

interface LogLine {
  level: number
  msg: string
  [key: string]: unknown
}

const WARN = 40
const ERROR = 50

/** Builds the app at info level with its log lines kept, parsed, for the test to read. */
async function appWithLog(t: Parameters<typeof buildTestApp>[0], overrides: Parameters<typeof buildTestApp>[1] = {}) {
  const lines: LogLine[] = []
  const logStream = { write: (line: string) => void lines.push(JSON.parse(line)) }
  const app = await buildTestApp(t, { LOG_LEVEL: 'info', ...overrides }, { logStream })
  return { app, lines }
}

t.test('a 503 refusal logs one warning with its reason and no stack', async (t) => {
  const { app, lines } = await appWithLog(t, { DB_POOL_SIZE: 1, DB_POOL_ACQUIRE_TIMEOUT_MS: 100 })
  app.get('/test/sleep', async () => app.db.query('SELECT SLEEP(0.5) AS slept'))
  const slow = app.inject('/test/sleep')
  await new Promise((resolve) => setTimeout(resolve, 50))
  const refused = await app.inject('/test/sleep')
  t.equal(refused.statusCode, 503)
  t.equal((await slow).statusCode, 200)

  const warnings = lines.filter((line) => line.level >= WARN)
  t.equal(warnings.length, 1, 'exactly one line above info')
  t.match(warnings[0], {
    level: WARN,
    msg: 'request refused: 503',
    code: 'LG_POOL_UNAVAILABLE',
    reason: /no database connection became available within 100 ms/
  })
  t.notOk(JSON.stringify(warnings[0]).includes('    at '), 'no stack trace in the line')
})

t.test('an unexpected error logs its stack, and the client sees neither stack nor message', async (t) => {
  const { app, lines } = await appWithLog(t)
  app.get('/test/broken', async () => {
    throw new Error('secret internals: SELECT * FROM users')
  })
  const res = await app.inject('/test/broken')
  t.equal(res.statusCode, 500)
  t.notMatch(res.body, /secret internals|SELECT|\s+at /, 'the response says nothing of it')

  const errors = lines.filter((line) => line.level >= ERROR)
  t.equal(errors.length, 1)
  t.match(errors[0], { msg: 'request failed', err: { message: 'secret internals: SELECT * FROM users', stack: /\n\s+at / } })
})
