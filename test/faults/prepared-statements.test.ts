import t from 'tap'
import { PrivateMariaDb } from './private-mariadb'
import { assertPoolSettled, buildAppOn } from './fault-support'
import { preparedStatementsPerConnection } from '../../src/db/data-source-options'
import { loadConfig } from '../../src/config'

// Issue 7 §3: every distinct list shape is a server-side prepared statement, and MariaDB's
// max_prepared_stmt_count (16,382) is global: an app that kept them all (mysql2's default is
// 16,000 per connection) let anonymous GETs exhaust it for every client of the server. Each
// connection now keeps a bounded number and closes what it evicts; equal shapes share one.
const SHAPES = 20_000
const POOL_SIZE = 4

t.test(`${SHAPES} distinct list shapes leave the server's prepared statements bounded`, async (t) => {
  const server = await PrivateMariaDb.start(t)
  const app = await buildAppOn(t, server.url, { DB_POOL_SIZE: POOL_SIZE })
  const admin = await server.admin()
  t.teardown(() => admin.end())
  const preparedNow = async () => {
    const [[row]] = (await admin.query("SHOW GLOBAL STATUS LIKE 'Prepared_stmt_count'")) as unknown as [[{ Value: string }]]
    return Number(row.Value)
  }

  const fields = ['id', 'title', 'isbn', 'price', 'stock', 'authorId', 'version', 'createdAt', 'updatedAt']
  const sorts = ['id', 'title', 'price', 'stock', 'authorId', 'createdAt', 'updatedAt']
  const urls: string[] = []
  for (let n = 0; urls.length < SHAPES; n++) {
    // Every non-empty subset of the fields (511 of them), for each sort, direction and filter.
    const subset = (n % 511) + 1
    const picked = fields.filter((_, i) => subset & (1 << i)).join(',')
    const variant = Math.floor(n / 511)
    const sort = sorts[variant % sorts.length]
    const direction = variant % 2 === 0 ? 'asc' : 'desc'
    const filter = Math.floor(variant / 14) % 2 === 0 ? '' : '&where.stock.gt=1'
    const like = Math.floor(variant / 28) % 2 === 0 ? '' : '&where.title.like=a%25'
    urls.push(`/books?fields=${picked}&orderby.${sort}=${direction}${filter}${like}`)
  }
  t.equal(new Set(urls).size, SHAPES, 'the shapes are all distinct')

  let failures = 0
  for (let i = 0; i < urls.length; i += 50) {
    const responses = await Promise.all(urls.slice(i, i + 50).map((url) => app.inject(url)))
    for (const [j, response] of responses.entries()) {
      if (response.statusCode !== 200 && failures++ < 3) t.comment(urls[i + j], response.body)
    }
  }
  t.equal(failures, 0, 'every shape was answered')

  const bound = POOL_SIZE * preparedStatementsPerConnection(loadConfig({ DB_POOL_SIZE: String(POOL_SIZE) }))
  const prepared = await preparedNow()
  t.ok(prepared <= bound, `the server holds ${prepared} prepared statements (bound ${bound}, server limit 16382)`)
  t.equal((await app.inject('/books/1')).statusCode, 404, 'a normal request still works')
  const permuted = await Promise.all([app.inject('/books?fields=title,id'), app.inject('/books?fields=id,title')])
  t.same(permuted[0].json(), permuted[1].json(), 'fields in another order is the same shape')
  await assertPoolSettled(t, app)
})
