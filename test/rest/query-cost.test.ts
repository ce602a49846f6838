import t from 'tap'
import { Validator } from '@seriousme/openapi-schema-validator'
import { buildApp } from '../../src/app'
import { loadConfigWithWarnings } from '../../src/config'
import { adminConnection, createTestDatabase } from '../helper'
import { problemOf, seedAuthors } from '../fixtures/seed'

// Issue 14 items 2-4: planned and estimated counts, the scan bound (REST_MAX_SCAN_ROWS), the plan answer (REST_EXPLAIN).
t.test('query cost: counts, scan bound, plans', async (t) => {
  const config = await createTestDatabase(t)
  const database = new URL(config.DATABASE_URL).pathname.slice(1)
  const admin = await adminConnection(database)
  t.teardown(() => admin.end())
  // The demo schema indexes every sortable field (migrations/*-list-field-indexes.ts): these
  // cases need two that no index serves, as any schema without that migration has.
  for (const index of ['IDX_books_price', 'IDX_books_stock']) await admin.query(`DROP INDEX ${index} ON books`)
  const bounded = await buildApp({ ...config, REST_MAX_SCAN_ROWS: 500, REST_COUNT_EXACT_BELOW: 1_000, REST_EXPLAIN: true })
  t.teardown(() => bounded.close())
  const plain = await buildApp(config)
  t.teardown(() => plain.close())
  const [many, few] = await seedAuthors(plain, [{ name: 'Many' }, { name: 'Few' }])
  // 3,000 books: 2,900 by one author, 100 by the other (authorId is indexed; price and stock are not).
  await plain.db.query(
    `INSERT INTO books (title, isbn, price, stock, authorId, version)
     SELECT CONCAT('book ', seq), CONCAT('q', seq), seq % 97, seq % 7, IF(seq <= 100, ?, ?), 1 FROM seq_1_to_3000`,
    [few, many]
  )
  await plain.db.query('ANALYZE TABLE books')
  /** The optimiser's own estimate of a count, as the server gives it to anyone. */
  const plannedByServer = async (where: string, values: unknown[] = []) => {
    const [[row]] = (await admin.query(`EXPLAIN FORMAT=JSON SELECT COUNT(*) FROM books ${where}`, values)) as any
    const table = JSON.parse(row.EXPLAIN).query_block.nested_loop?.[0]?.table ?? JSON.parse(row.EXPLAIN).query_block.table
    return Math.round((table.rows * (table.filtered ?? 100)) / 100)
  }

  await t.test('totalCount=true is the exact count, as before, and says so', async (t) => {
    const response = await plain.inject('/books?where.stock.gt=3&limit=1&totalCount=true')
    t.equal(response.statusCode, 200)
    t.equal(response.headers['x-total-count'], '1285', 'stock 4 (429 of 1..3000), 5 and 6 (428 each)')
    t.equal(response.headers['preference-applied'], 'count=exact')
    const none = await plain.inject('/books?limit=1&totalCount=false')
    t.notOk(none.headers['x-total-count'])
    t.notOk(none.headers['preference-applied'])
  })

  await t.test('planned counts are the optimiser\'s estimate, by totalCount= or Prefer: count=', async (t) => {
    const expected = await plannedByServer('WHERE books.stock > ?', [3])
    for (const request of [
      { url: '/books?where.stock.gt=3&limit=1&totalCount=planned' },
      { url: '/books?where.stock.gt=3&limit=1', headers: { prefer: 'count=planned' } }
    ]) {
      const response = await plain.inject(request)
      t.equal(response.statusCode, 200, request.url)
      t.equal(response.headers['preference-applied'], 'count=planned')
      t.equal(response.headers['x-total-count'], String(expected), 'the estimate EXPLAIN gives, not a count')
      t.equal(response.json().length, 1, 'the page itself is read as usual')
    }
    t.not(String(expected), '1285', 'on this data the estimate is not the exact count (the test tells them apart)')
    const urlWins = await plain.inject({ url: '/books?limit=1&totalCount=exact', headers: { prefer: 'count=planned' } })
    t.equal(urlWins.headers['preference-applied'], 'count=exact', 'totalCount= wins over Prefer')
    const invalid = problemOf(t, await plain.inject('/books?totalCount=approximately'), 400)
    t.match(invalid.errors, [{ path: 'querystring.totalCount', message: /exact.*planned.*estimated/ }], 'a totalCount= value it does not know is a 400 naming the kinds')
    const unknown = await plain.inject({ url: '/books?limit=1', headers: { prefer: 'count=approximately' } })
    t.notOk(unknown.headers['x-total-count'], 'an unknown count preference is ignored')
  })

  await t.test('estimated counts exactly below REST_COUNT_EXACT_BELOW, planned above', async (t) => {
    const small = await bounded.inject(`/books?where.authorId.eq=${few}&limit=1&totalCount=estimated`)
    t.equal(small.statusCode, 200, small.body)
    t.equal(small.headers['preference-applied'], 'count=exact')
    t.equal(small.headers['x-total-count'], '100')
    const nested = await bounded.inject({ url: `/authors/${few}/books?limit=1`, headers: { prefer: 'count=estimated' } })
    t.equal(nested.headers['x-total-count'], '100', 'nested lists count the same way')
    // 2,900 matches: the page stops at its LIMIT (under the bound), the count would read them all (over it).
    const above = await buildApp({ ...config, REST_MAX_SCAN_ROWS: 500, REST_COUNT_EXACT_BELOW: 10_000 })
    t.teardown(() => above.close())
    const capped = await above.inject(`/books?where.authorId.eq=${many}&limit=1&totalCount=estimated`)
    t.equal(capped.statusCode, 200, capped.body)
    t.equal(capped.headers['preference-applied'], 'count=planned', 'over REST_MAX_SCAN_ROWS an estimated count is planned, though REST_COUNT_EXACT_BELOW is higher')
    const large = await bounded.inject(`/books?where.authorId.eq=${many}&limit=1&totalCount=estimated`)
    t.equal(large.statusCode, 200, large.body)
    t.equal(large.headers['preference-applied'], 'count=planned')
    t.equal(large.headers['x-total-count'], String(await plannedByServer('WHERE books.authorId = ?', [many])))
  })

  await t.test('REST_MAX_SCAN_ROWS refuses a sort no index gives, naming the field', async (t) => {
    const refused = problemOf(t, await bounded.inject('/books?orderby.price=asc&limit=5'), 400)
    t.match(refused.type, /\/scan-too-large$/)
    t.match(refused.detail, /about \d+ rows, more than REST_MAX_SCAN_ROWS \(500\)/)
    t.match(refused.detail, /add @Index\(\) to Book\.price/)
    t.same(refused.errors.map((error: { path: string }) => error.path), ['querystring.orderby.price'])
    t.equal((await bounded.inject('/books?orderby.authorId=asc&limit=5')).statusCode, 200, 'an indexed sort reads only its page')
    const twoKeys = problemOf(t, await bounded.inject('/books?orderby.authorId=asc&orderby.stock=desc&limit=5'), 400)
    t.match(twoKeys.detail, /sorting by authorId, stock .*add @Index\(\['authorId', 'stock'\]\) to the Book class/, 'several keys: the composite index')
    t.same(twoKeys.errors.map((error: { path: string }) => error.path), ['querystring.orderby.authorId'])
    t.equal((await bounded.inject('/books?orderby.price=asc&limit=5&where.authorId.eq=' + few)).statusCode, 200, 'a filter an index serves narrows the sort')
    t.equal((await bounded.inject(`/books?where.authorId.eq=${many}&limit=100`)).statusCode, 200, '2,900 matches read in key order: the page stops at its LIMIT')
    const through = problemOf(t, await bounded.inject('/books?orderby.author.name=asc'), 400)
    t.match(through.detail, /sorting by author\.name .*no index of Book gives an order through author/)
    t.equal((await plain.inject('/books?orderby.price=asc&limit=5')).statusCode, 200, 'no bound by default')
    const first = await bounded.inject('/books?orderby.authorId=asc&include=author&limit=3')
    t.equal(first.statusCode, 200, 'a join on a key reads no more')
    const next = /^<([^>]+)>/.exec(first.headers.link as string)![1]
    t.equal((await bounded.inject(next)).statusCode, 200, 'a cursor page is judged by its shape\'s first page')
    const related = problemOf(t, await bounded.inject('/authors?where.books.price.lt=6'), 400)
    t.same(related.errors.map((error: { path: string }) => error.path), ['querystring.where.books.price.lt'], 'a to-many filter reads the related table')
    t.match(related.detail, /add @Index\(\) to Book\.price/)
    t.equal((await bounded.inject(`/authors?where.books.authorId.eq=${few}`)).statusCode, 200, 'one an index serves passes')
    const filtered = problemOf(t, await bounded.inject('/books?where.not.stock.eq=3&where.price.gt=1&totalCount=true&limit=5'), 400)
    t.same(filtered.errors.map((error: { path: string }) => error.path), ['querystring.totalCount'], 'an exact count with filters no index serves')
    const count = problemOf(t, await bounded.inject('/books?limit=1&totalCount=true'), 400)
    t.same(count.errors.map((error: { path: string }) => error.path), ['querystring.totalCount'])
    t.match(count.detail, /totalCount=planned/)
    t.equal((await bounded.inject('/books?limit=1&totalCount=planned')).statusCode, 200, 'a planned count reads nothing')
  })

  await t.test('the verdict is kept per shape: EXPLAIN runs once per new shape', async (t) => {
    await admin.query('CREATE INDEX IDX_books_price ON books (price)')
    t.teardown(() => admin.query('DROP INDEX IDX_books_price ON books'))
    t.equal((await bounded.inject('/books?orderby.price=asc&limit=5')).statusCode, 400, 'the shape judged before the index keeps its verdict')
    t.equal((await bounded.inject('/books?orderby.price=asc&limit=9')).statusCode, 400, 'another limit is the same shape')
    t.equal((await bounded.inject('/books?orderby.price=asc&limit=5&fields=id,price')).statusCode, 200, 'a new shape is judged anew, with the index')
  })

  await t.test('REST_EXPLAIN answers the SQL and plan, never the values', async (t) => {
    const accept = 'application/vnd.lifeguard.plan+json'
    const url = '/books?where.title.eq=secret-title&where.stock.gt=424242&orderby.price=desc&totalCount=true'
    const answer = await bounded.inject({ url, headers: { accept } })
    t.equal(answer.statusCode, 200, answer.body)
    t.match(answer.headers['content-type'], /^application\/vnd\.lifeguard\.plan\+json/)
    const body = answer.json()
    t.match(body, { sql: /^SELECT .* FROM `books` WHERE .* ORDER BY .* LIMIT \? OFFSET \?$/, scanRows: Number, filesort: Boolean, plan: { query_block: Object } })
    t.match(body.count, { sql: /^SELECT COUNT\(\*\)/, plan: { query_block: Object } })
    t.notMatch(answer.body, /secret-title|424242/, 'bind values are not answered, not even inside the plan\'s conditions')
    t.match(answer.body, /attached_condition/, 'the conditions are there, their values hidden')
    t.notOk(answer.headers['x-total-count'], 'nothing was counted')
    const off = await plain.inject({ url: '/books?limit=2', headers: { accept } })
    t.equal(off.statusCode, 200)
    t.match(off.headers['content-type'], /^application\/json/, 'without REST_EXPLAIN the Accept header is ignored')
    t.equal(off.json().length, 2)
    const one = await bounded.inject({ url: `/books/1?include=author`, headers: { accept } })
    t.equal(one.statusCode, 200, one.body)
    t.match(one.json(), { sql: /WHERE `books`.`id` = \? .*LIMIT \? OFFSET \?$/, plan: { query_block: Object } }, 'GET /:id with include= answers the plan of its list read')
    t.match((await bounded.inject('/books/1?include=author')).json(), { id: 1, author: { id: few } }, 'without the Accept, the row')
    t.match((await bounded.inject({ url: '/books/1', headers: { accept } })).json(), { id: 1 }, 'GET /:id without include= reads no list: the row')
    const spec = (await bounded.inject('/openapi.json')).json()
    t.ok(spec.paths['/books'].get.responses['200'].content[accept], 'OpenAPI shows the plan answer with REST_EXPLAIN on')
    t.ok(spec.paths['/books'].get.responses['200'].headers['preference-applied'], 'and Preference-Applied')
    t.ok(spec.paths['/books/{id}'].get.responses['200'].content[accept], 'on GET /:id too')
    t.ok(spec.paths['/books/{id}'].get.responses['200'].headers.etag, 'beside its ETag')
    const validator = new Validator({ allErrors: true })
    const result = await validator.validate(structuredClone(spec))
    t.ok(result.valid, `the document stays valid OpenAPI: ${JSON.stringify(result.errors)}`)
  })

  t.test('REST_EXPLAIN with NODE_ENV=production starts with a warning', async (t) => {
    const warned = loadConfigWithWarnings({ REST_EXPLAIN: '1', NODE_ENV: 'production' }).warnings
    t.match(warned, [{ variable: 'REST_EXPLAIN', message: /NODE_ENV=production/ }])
    t.same(loadConfigWithWarnings({ REST_EXPLAIN: '1' }).warnings, [])
    t.same(loadConfigWithWarnings({ NODE_ENV: 'production' }).warnings, [])
  })
})
