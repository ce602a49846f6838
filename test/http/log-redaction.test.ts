import t from 'tap'
import { problemOf, seedAuthors, seedBooks } from '../fixtures/seed'
import { appWithLog } from './log-capture'
import { maskLiterals, serializeError } from '../../src/http/log-redaction'

t.test('a duplicate ISBN is a 409 naming the property, and the ISBN is in no log line at any level', async (t) => {
  const { app, lines, logText } = await appWithLog(t)
  const [authorId] = await seedAuthors(app, [{ name: 'Frank Herbert' }])
  const isbn = 'S3CRET-ISBN-4711'
  await seedBooks(app, [{ title: 'Dune', isbn, price: 9.99, stock: 1, authorId }])

  const response = await app.inject({ method: 'POST', url: '/books', payload: { title: 'Dune again', isbn, price: 5, stock: 1, authorId } })
  const body = problemOf(t, response, 409)
  t.equal(body.type, 'https://lifeguard.dev/problems/duplicate')
  t.equal(body.detail, 'another Book already has this isbn', 'the unique key, as the entity and property a client knows')
  t.notOk(response.body.includes(isbn))

  const mapped = lines.find((line) => line.msg === 'database error mapped to 409')
  t.ok(mapped, 'the duplicate is logged')
  t.match(mapped?.err, { code: 'ER_DUP_ENTRY', errno: 1062, sqlState: '23000', message: /for key 'UQ_books_isbn'/ }, 'with code, errno, sqlState and key')
  t.equal(app.log.level, 'trace', 'logging at the most verbose level')
  t.notOk(logText().includes(isbn), 'the ISBN appears nowhere in the log')
})

t.test('a failing statement with a secret-looking value leaves neither value nor SQL in the log', async (t) => {
  const { app, lines, logText } = await appWithLog(t)
  const token = 'tok_live_Canary8Q2x'
  // Bound value: mysql2 formats it into `sql`, TypeORM keeps it in `parameters`.
  app.get('/test/bound', async () => app.db.query('SELECT * FROM books WHERE isbn = ? AND no_such_column = 1', [token]))
  // Spliced value: the server's syntax error quotes the SQL around it ("near '…'").
  app.get('/test/spliced', async () => app.db.query(`SELECT id FROM books WHERE isbn = '${token}' AND AND`))

  for (const url of ['/test/bound', '/test/spliced']) {
    const response = await app.inject(url)
    problemOf(t, response, 500)
    t.notOk(response.body.includes(token), `${url}: not in the body`)
  }
  const failures = lines.filter((line) => line.msg === 'request failed')
  t.equal(failures.length, 2, 'both failures are logged')
  t.match(failures[0].err, { code: 'ER_BAD_FIELD_ERROR', errno: 1054, message: /Unknown column 'no_such_column'/ })
  t.match(failures[1].err, { code: 'ER_PARSE_ERROR', errno: 1064, message: /near '\?' at line 1/ })
  for (const failure of failures) {
    const err = failure.err as Record<string, unknown>
    t.notOk('parameters' in err || 'query' in err || 'sql' in err, 'no parameters, query or sql')
    t.match(err.stack, /\n\s+at /, 'the stack is kept')
  }
  t.notOk(logText().includes(token), 'the token appears nowhere in the log')
  t.notMatch(logText(), /SELECT/, 'nor the statement')
})

t.test('maskLiterals keeps names and masks values, however the value is quoted', async (t) => {
  const cases: Array<[string, string]> = [
    ["Duplicate entry 'O'Brien' for key 'UQ_users_name'", "Duplicate entry '?' for key 'UQ_users_name'"],
    ["Duplicate entry 'x' for key 'b' for key 'UQ_a'", "Duplicate entry '?' for key 'UQ_a'"],
    ["Duplicate entry 'a-7' for key 'books.UQ_books_isbn'", "Duplicate entry '?' for key 'books.UQ_books_isbn'"],
    [
      "Incorrect integer value: 'it's' for column `db`.`t`.`amount` at row 1",
      "Incorrect integer value: '?' for column `db`.`t`.`amount` at row 1"
    ],
    ["Incorrect integer value: 'x' for column 'amount' at row 1", "Incorrect integer value: '?' for column 'amount' at row 1"],
    ["Truncated incorrect DOUBLE value: 'x'y'", "Truncated incorrect DOUBLE value: '?'"],
    ["Column 'name' cannot be null", "Column 'name' cannot be null"],
    ["Field 'req' doesn't have a default value", "Field 'req' doesn't have a default value"],
    ["Can't find 'x' in 'y'", "Can't find '?'"],
    ["Data too long for column 'label' at row 1", "Data too long for column 'label' at row 1"],
    ["Check constraint 'chk_qty' is violated.", "Check constraint 'chk_qty' is violated."],
    ['CONSTRAINT `chk_qty` failed for `db`.`t`', 'CONSTRAINT `chk_qty` failed for `db`.`t`'],
    [
      "You have an error in your SQL syntax; check the manual that corresponds to your MariaDB server version for the right syntax to use near 'pw' = 'x' at line 1",
      "You have an error in your SQL syntax; check the manual that corresponds to your MariaDB server version for the right syntax to use near '?' at line 1"
    ],
    // An unknown template: every quoted part goes, as one span.
    ["Some new error with 'sec'ret' and \"more\"", "Some new error with '?'"],
    ['no quotes at all: 42', 'no quotes at all: 42']
  ]
  for (const [message, masked] of cases) t.equal(maskLiterals(message), masked, message)
})

t.test('serializeError drops value-carrying fields and masks only driver messages', async (t) => {
  const driverError = Object.assign(new Error("Duplicate entry 'v@x.io' for key 'UQ_email'"), {
    code: 'ER_DUP_ENTRY',
    errno: 1062,
    sqlState: '23000',
    sqlMessage: "Duplicate entry 'v@x.io' for key 'UQ_email'",
    sql: "INSERT INTO users (email) VALUES ('v@x.io')"
  })
  const wrapped = Object.assign(new Error(driverError.message), {
    name: 'QueryFailedError',
    query: 'INSERT INTO users (email) VALUES (?)',
    parameters: ['v@x.io'],
    driverError
  })
  const serialized = serializeError(wrapped)
  t.notMatch(JSON.stringify(serialized), /v@x\.io/)
  t.match(serialized, { message: "Duplicate entry '?' for key 'UQ_email'", driverError: { errno: 1062, sqlState: '23000', code: 'ER_DUP_ENTRY' } })
  t.notOk('parameters' in serialized || 'query' in serialized, 'TypeORM fields dropped')
  t.notOk('sql' in (serialized.driverError as object), 'mysql2 sql dropped')

  const clientError = Object.assign(new Error('Parse Error: Invalid method encountered'), {
    code: 'HPE_INVALID_METHOD',
    rawPacket: Buffer.from('FOO / HTTP/1.1\r\nAuthorization: Bearer s3cret\r\n\r\n')
  })
  t.notOk('rawPacket' in serializeError(clientError), "Node's raw request bytes dropped")

  const appError = new Error("Cannot read properties of undefined (reading 'price')")
  t.equal(serializeError(appError).message, appError.message, 'an application error keeps its quotes')
})
