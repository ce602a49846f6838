import t from 'tap'
import { problemOf } from '../fixtures/seed'
import { appWithLog } from './log-capture'
import { executePooled, poolOf } from '../../src/db/pooled-query'
import { mapDatabaseError } from '../../src/http/database-errors'

/**
 * The driver-error table, exercised by real statements against MariaDB: a test table in the
 * test's own database, statements with bound values (one of them secret-looking per case),
 * run both through TypeORM (QueryFailedError, text protocol: mysql2 formats the values into
 * `sql`) and through the fast path (raw mysql2 error from a prepared statement).
 */
const PROBES_TABLE = `CREATE TABLE probes (
  id int PRIMARY KEY AUTO_INCREMENT,
  tiny tinyint,
  label varchar(5),
  amount int,
  happened date,
  mood enum('calm', 'wild'),
  required_note varchar(20) NOT NULL,
  qty int,
  code varchar(40),
  CONSTRAINT chk_probes_qty CHECK (qty >= 0),
  UNIQUE KEY uq_probes_code (code)
)`

interface Case {
  errno: number
  status: number
  slug: string
  sql: string
  values: unknown[]
  /** What the body and the log must never contain. */
  secret: string
  detail: RegExp
}

const CASES: Record<string, Case> = {
  outOfRange: {
    errno: 1264, status: 400, slug: 'invalid-value',
    sql: 'INSERT INTO probes (required_note, tiny) VALUES (?, ?)', values: ['n', 7777777], secret: '7777777',
    detail: /^the value for tiny is out of range$/
  },
  truncated: {
    errno: 1265, status: 400, slug: 'invalid-value',
    sql: 'INSERT INTO probes (required_note, mood) VALUES (?, ?)', values: ['n', 'Canary1265x'], secret: 'Canary1265x',
    detail: /^the value for mood does not fit its column/
  },
  incorrectValue: {
    errno: 1366, status: 400, slug: 'invalid-value',
    sql: 'INSERT INTO probes (required_note, amount) VALUES (?, ?)', values: ['n', "Can'ary1366x"], secret: 'ary1366x',
    detail: /^the value for amount is not a valid integer$/
  },
  tooLong: {
    errno: 1406, status: 400, slug: 'invalid-value',
    sql: 'INSERT INTO probes (required_note, label) VALUES (?, ?)', values: ['n', 'Canary1406x'], secret: 'Canary1406x',
    detail: /^the value for label is too long$/
  },
  badDate: {
    errno: 1292, status: 400, slug: 'invalid-value',
    sql: 'INSERT INTO probes (required_note, happened) VALUES (?, ?)', values: ['n', 'Canary-1292'], secret: 'Canary-1292',
    detail: /^the value for happened is not a valid date$/
  },
  nullColumn: {
    errno: 1048, status: 400, slug: 'invalid-value',
    sql: 'INSERT INTO probes (required_note, label) VALUES (?, ?)', values: [null, 'Cn048'], secret: 'Cn048',
    detail: /^required_note cannot be null$/
  },
  noDefault: {
    errno: 1364, status: 400, slug: 'invalid-value',
    sql: 'INSERT INTO probes (label) VALUES (?)', values: ['Cn364'], secret: 'Cn364',
    detail: /^required_note is required/
  },
  checkConstraint: {
    errno: 4025, status: 422, slug: 'constraint-violated',
    sql: 'INSERT INTO probes (required_note, qty) VALUES (?, ?)', values: ['n', -9191919], secret: '9191919',
    detail: /^the row breaks the check constraint chk_probes_qty$/
  },
  duplicate: {
    errno: 1062, status: 409, slug: 'duplicate',
    sql: 'INSERT INTO probes (required_note, code) VALUES (?, ?)', values: ['n', "Can'ary-1062-s3cret"], secret: 'ary-1062-s3cret',
    detail: /^another row already has this value for the unique key uq_probes_code$/
  }
}

t.test('each data error is a problem naming the column, never the value, in the body or the log', async (t) => {
  const { app, lines, logText } = await appWithLog(t)
  await app.db.query(PROBES_TABLE)
  // The row the duplicate case collides with.
  await app.db.query('INSERT INTO probes (required_note, code) VALUES (?, ?)', CASES.duplicate.values)

  app.post<{ Params: { name: string }; Querystring: { via: string } }>('/test/statement/:name', async (request) => {
    const { sql, values } = CASES[request.params.name]
    if (request.query.via === 'prepared') await executePooled(poolOf(app.db), sql, values)
    else await app.db.query(sql, values)
    return { ran: true }
  })

  for (const via of ['typeorm', 'prepared']) {
    for (const [name, probe] of Object.entries(CASES)) {
      await t.test(`${name} (${probe.errno}) via ${via}`, async (t) => {
        const response = await app.inject({ method: 'POST', url: `/test/statement/${name}?via=${via}` })
        const body = problemOf(t, response, probe.status)
        t.equal(body.type, `https://lifeguard.dev/problems/${probe.slug}`)
        t.match(body.detail, probe.detail)
        t.notOk(response.body.includes(probe.secret), 'the body does not carry the value')
      })
    }
  }

  const mapped = lines.filter((line) => line.msg.startsWith('database error mapped to'))
  t.equal(mapped.length, Object.keys(CASES).length * 2, 'every mapped error was logged once')
  const errnos = new Set(mapped.map((line) => (line.err as { errno?: number }).errno))
  t.same([...errnos].sort(), Object.values(CASES).map((c) => c.errno).sort(), 'with its errno')
  t.ok(mapped.every((line) => typeof (line.err as { sqlState?: unknown }).sqlState === 'string'), 'and its sqlState')
  const log = logText()
  for (const probe of Object.values(CASES)) t.notOk(log.includes(probe.secret), `the log never carries ${probe.secret}`)
  t.notMatch(log, /INSERT INTO probes/, 'nor the statement')
})

t.test('an unknown driver error is a 500 `internal`, never a type made of its code', async (t) => {
  const { app, lines } = await appWithLog(t, { LOG_LEVEL: 'info' })
  app.get('/test/no-such-table', async () => app.db.query('SELECT * FROM no_such_table WHERE secret = ?', ['Canary-1146']))
  const response = await app.inject('/test/no-such-table')
  const body = problemOf(t, response, 500)
  t.equal(body.type, 'https://lifeguard.dev/problems/internal')
  t.notMatch(response.body, /er-|no_such_table|Canary/)
  const failed = lines.filter((line) => line.msg === 'request failed')
  t.equal(failed.length, 1)
  t.match(failed[0].err, { code: 'ER_NO_SUCH_TABLE', errno: 1146 })
  t.notMatch(JSON.stringify(failed[0]), /Canary-1146/)
})

t.test('MySQL spellings map the same (no MySQL server here: its error shapes, as mysql2 reports them)', async (t) => {
  const check = { errno: 3819, code: 'ER_CHECK_CONSTRAINT_VIOLATED', sqlMessage: "Check constraint 'chk_qty' is violated." }
  t.same(mapDatabaseError(check), { slug: 'constraint-violated', detail: 'the row breaks the check constraint chk_qty' })
  const incorrect = { errno: 1366, sqlMessage: "Incorrect integer value: 'x' for column 'amount' at row 1" }
  t.same(mapDatabaseError(incorrect), { slug: 'invalid-value', detail: 'the value for amount is not a valid integer' })
  const names = {
    uniqueKey: (key: string, table?: string) => (key === 'UQ_books_isbn' && table === 'books' ? { entity: 'Book', properties: ['isbn'] } : undefined),
    property: () => undefined
  }
  const duplicate = { errno: 1062, sqlMessage: "Duplicate entry 'x' for key 'books.UQ_books_isbn'" }
  t.same(mapDatabaseError(duplicate, names), { slug: 'duplicate', detail: 'another Book already has this isbn' })
  const primary = { errno: 1062, sqlMessage: "Duplicate entry '7' for key 'PRIMARY'" }
  t.same(mapDatabaseError(primary), { slug: 'duplicate', detail: 'another row already has this primary key' })
})
