import t from 'tap'
import fc from 'fast-check'
import { demoApp, rowsOf } from '../fixtures/demo-app'
import { problemOf } from '../fixtures/seed'
import { walkPages } from '../fixtures/paging'
import { bearer, TEST_SECRET } from '../support/tokens'
import { waitForIdlePool } from '../support/pool-state'

type Row = Record<string, any>


t.test('include= embeds related rows, exactly as their own routes answer them', async (t) => {
  const app = await demoApp(t)
  const authors = await rowsOf(app, '/authors?limit=100')
  const books = await rowsOf(app, '/books?limit=100')
  const authorById = new Map(authors.map((author) => [author.id, author]))

  await t.test('to-one: every book carries its author next to authorId', async (t) => {
    const embedded = await rowsOf(app, '/books?include=author&limit=100')
    t.equal(embedded.length, books.length)
    for (const [i, book] of embedded.entries()) {
      const { author, ...own } = book
      t.same(own, books[i], `book ${book.id}: its own fields unchanged`)
      t.same(author, authorById.get(book.authorId), `book ${book.id}: the author /authors answers`)
    }
  })

  await t.test('to-many: every author carries its books, bounded and ordered per author', async (t) => {
    const embedded = await rowsOf(app, '/authors?include=books&limit=100')
    for (const author of embedded) {
      const own = books.filter((book) => book.authorId === author.id)
      t.same(author.books, own, `author ${author.id}: all ${own.length} books (fewer than the default 20), by id`)
    }
    const shaped = await rowsOf(app, '/authors?include=books&limit.books=2&orderby.books.price=desc&orderby.books.title=asc&limit=100')
    for (const author of shaped) {
      const expected = books
        .filter((book) => book.authorId === author.id)
        .sort((a, b) => b.price - a.price || (a.title < b.title ? -1 : a.title > b.title ? 1 : 0) || a.id - b.id)
        .slice(0, 2)
      t.same(author.books, expected, `author ${author.id}: the two dearest books`)
    }
    const bare = await rowsOf(app, '/authors?where.id.eq=1&include=books&where.not.id.eq=1')
    t.same(bare, [], 'no parent rows: nothing to embed')
  })

  await t.test('an author with no books embeds [], a filtered page embeds only its own rows', async (t) => {
    const created = await app.inject({ method: 'POST', url: '/authors', payload: { name: 'Nobody Yet' } })
    t.equal(created.statusCode, 201)
    const [lonely] = await rowsOf(app, `/authors?where.id.eq=${created.json().id}&include=books`)
    t.same(lonely.books, [])
    const cheap = await rowsOf(app, '/authors?where.or.a.id.eq=3&where.or.b.id.eq=5&include=books&fields=id,books.id')
    t.same(
      cheap.map((author) => [author.id, author.books.map((book: Row) => book.id)]),
      [3, 5].map((id) => [id, books.filter((book) => book.authorId === id).map((book) => book.id)])
    )
  })

  await t.test('dotted fields= returns exactly the listed keys, and implies the include', async (t) => {
    const rows = await rowsOf(app, '/books?fields=id,title,author.name&limit=3')
    t.same(rows, books.slice(0, 3).map((book) => ({ id: book.id, title: book.title, author: { name: authorById.get(book.authorId)!.name } })))
    const nested = await rowsOf(app, '/authors?fields=name,books.title&limit.books=1&include=books&limit=2')
    t.same(nested, authors.slice(0, 2).map((author) => ({ name: author.name, books: [{ title: books.find((book) => book.authorId === author.id)!.title }] })))
    const onlyEmbed = await rowsOf(app, '/books?fields=author.id&limit=1')
    t.same(onlyEmbed, [{ author: { id: books[0].authorId } }], 'no implied authorId or id')
  })

  await t.test('paging, sorting and filters are those of the rows alone', async (t) => {
    const plain = await walkPages(app, '/books?orderby.price=desc&limit=7')
    const embedded = await walkPages(app, '/books?orderby.price=desc&limit=7&include=author')
    t.same(embedded.rows.map((row) => row.id), plain.rows.map((row) => row.id))
    t.equal(embedded.pages, plain.pages)
    const counted = await app.inject('/books?include=author&where.price.lt=9&totalCount=true&limit=1')
    t.equal(counted.headers['x-total-count'], String(books.filter((book) => book.price < 9).length))
  })

  await t.test('GET /:id takes include= too, with its ETag and 404 as without', async (t) => {
    const plain = await app.inject('/books/1')
    const embedded = await app.inject('/books/1?include=author,orders')
    t.equal(embedded.statusCode, 200)
    const { author, orders, ...own } = embedded.json()
    t.same(own, plain.json())
    t.same(author, authorById.get(1))
    t.same(orders.map((order: Row) => order.id), [2, 4], "Dune's orders")
    t.equal(embedded.headers.etag, plain.headers.etag, 'the same ETag')
    t.equal((await app.inject({ url: '/books/1?include=author', headers: { 'if-none-match': String(plain.headers.etag) } })).statusCode, 304)
    const picked = await app.inject('/books/1?fields=title,author.name')
    t.same(picked.json(), { title: 'Dune', author: { name: 'Frank Herbert' } }, 'exactly the listed keys')
    t.equal(picked.headers.etag, plain.headers.etag, 'an ETag whatever fields= selects')
    const shaped = await app.inject('/authors/2?include=books&limit.books=1&orderby.books.price=desc&fields=name,books.title')
    t.same(shaped.json(), { name: 'Ursula K. Le Guin', books: [{ title: 'The Dispossessed' }] })
    problemOf(t, await app.inject('/books/999?include=author'), 404)
    const refused = problemOf(t, await app.inject('/books/1?where.id.eq=1'), 400)
    t.match(refused.detail, /the route takes fields, include/)
  })

  await t.test('include paths embed through the related rows, one statement per relation', async (t) => {
    const orders = await rowsOf(app, '/orders?limit=100')
    const nested = await rowsOf(app, '/authors?include=books.orders&limit=100')
    for (const author of nested) {
      t.same(
        author.books.map((book: Row) => [book.id, book.orders.map((order: Row) => order.id)]),
        books.filter((book) => book.authorId === author.id).map((book) => [book.id, orders.filter((order) => order.bookId === book.id).map((order) => order.id)]),
        `author ${author.id}: its books, each with its orders`
      )
    }
    t.same(nested[0].books[0].orders[0], orders.find((order) => order.bookId === 1), 'an embedded order is the order /orders answers')
    const up = await rowsOf(app, '/orders?include=book.author&limit=100')
    for (const order of up) {
      const book = books.find((each) => each.id === order.bookId)!
      t.same(order.book, { ...book, author: authorById.get(book.authorId) }, `order ${order.id}: its book, with its author`)
    }
    const picked = await rowsOf(app, '/orders?include=book.author&fields=id,book.title&limit=2')
    t.same(picked, [{ id: 1, book: { title: 'Foundation', author: authorById.get(3) } }, { id: 2, book: { title: 'Dune', author: authorById.get(1) } }], 'an embed fields= does not reach comes whole')
  })

  await t.test('fields=, limit. and orderby. shape every level of an include path', async (t) => {
    // As the data is now: earlier subtests add rows.
    const orders = await rowsOf(app, '/orders?limit=100')
    const authors = await rowsOf(app, '/authors?limit=100')
    const books = await rowsOf(app, '/books?limit=100')
    const byQuantity = (a: Row, b: Row) => b.quantity - a.quantity || a.id - b.id
    const shaped = await rowsOf(app, '/authors?fields=id,books.title,books.orders.quantity&limit.books.orders=1&orderby.books.orders.quantity=desc&limit.books=2&orderby.books.price=asc&limit=100')
    t.same(
      shaped,
      authors.map((author) => ({
        id: author.id,
        books: books
          .filter((book) => book.authorId === author.id)
          .sort((a, b) => a.price - b.price || a.id - b.id)
          .slice(0, 2)
          .map((book) => ({ title: book.title, orders: orders.filter((order) => order.bookId === book.id).sort(byQuantity).slice(0, 1).map((order) => ({ quantity: order.quantity })) }))
      })),
      'each level in its own order and size, with exactly the listed keys'
    )
    const through = await rowsOf(app, '/authors?where.id.eq=1&fields=name,books.orders.id')
    t.same(
      through,
      [{ name: authorById.get(1)!.name, books: books.filter((book) => book.authorId === 1).map((book) => ({ orders: orders.filter((order) => order.bookId === book.id).map((order) => ({ id: order.id })) })) }],
      'a path named in fields= is included, and an embed on its way shows only what is listed under it'
    )
    const up = await rowsOf(app, '/orders?fields=id,book.author.name&limit=3')
    t.same(
      up,
      orders.slice(0, 3).map((order) => ({ id: order.id, book: { author: { name: authorById.get(books.find((book) => book.id === order.bookId)!.authorId)!.name } } })),
      'through a joined to-one embed that shows none of its own fields'
    )
    const one = await app.inject('/authors/2?include=books.orders&fields=name,books.id,books.orders.id&limit.books.orders=1&orderby.books.orders.id=desc')
    t.same(
      one.json(),
      {
        name: authorById.get(2)!.name,
        books: books.filter((book) => book.authorId === 2).map((book) => ({ id: book.id, orders: orders.filter((order) => order.bookId === book.id).sort((a, b) => b.id - a.id).slice(0, 1).map((order) => ({ id: order.id })) }))
      },
      'GET /:id shapes the path as the list does'
    )
  })

  await t.test('what is refused, with a 400 that says what to send', async (t) => {
    const cases: Array<[string, string, RegExp]> = [
      ['/books?include=publisher', 'querystring.include', /"publisher" is not an includable relation; includable: author, orders/],
      ['/books?include=author,', 'querystring.include', /"" is not an includable relation/],
      ['/authors?limit.books=3', 'querystring.limit.books', /add include=books/],
      ['/authors?orderby.books.price=asc', 'querystring.orderby.books.price', /add include=books/],
      ['/authors?include=books&limit.books=101', 'querystring.limit.books', /must be <= 100/],
      ['/authors?include=books&limit.books=0', 'querystring.limit.books', /must be >= 1/],
      ['/authors?include=books&orderby.books.isbn=asc', 'querystring.orderby.books.isbn', /not allowed/],
      ['/books?fields=id,author.password', 'querystring.fields', /"author\.password" is not a readable field; readable: author\.id, author\.name/],
      ['/books?limit.author=3', 'querystring.limit.author', /not allowed/],
      ['/books?include=author.books', 'querystring.include', /"author\.books" is not an includable relation; includable: author, orders$/],
      ['/authors?include=books.author', 'querystring.include', /includable: books, books\.orders/],
      ['/authors?include=books&limit.books.orders=2', 'querystring.limit.books.orders', /shapes the embedded books\.orders: add include=books\.orders/],
      ['/authors?include=books.orders&orderby.books.orders.status=asc', 'querystring.orderby.books.orders.status', /not allowed/],
      ['/authors?fields=id,books.orders.nope', 'querystring.fields', /"books\.orders\.nope" is not a readable field; readable: books\.orders\.id/]
    ]
    for (const [url, path, message] of cases) {
      const body = problemOf(t, await app.inject(url), 400)
      t.equal(body.errors?.[0]?.path, path, url)
      t.match(body.detail, message, url)
    }
  })

  t.equal((await waitForIdlePool(app)).active, 0, 'the pool is idle afterwards')
})

t.test('filters and sorts through relations select and order what the same logic does in JS', async (t) => {
  const app = await demoApp(t)
  const authors = await rowsOf(app, '/authors?limit=100')
  const books = await rowsOf(app, '/books?limit=100')
  const authorOf = (book: Row) => authors.find((author) => author.id === book.authorId)!
  const booksOf = (author: Row) => books.filter((book) => book.authorId === author.id)
  type Truth = boolean | null
  const lower = (value: unknown) => String(value).toLowerCase()
  // [query key, value, the condition in JS with SQL's NULL semantics]
  const bookTerms: Array<[string, string, (book: Row) => Truth]> = [
    ['author.name.startsWith', 'i', (book) => lower(authorOf(book).name).startsWith('i')],
    ['author.name.contains', 'le', (book) => lower(authorOf(book).name).includes('le')],
    ['author.id.in', '2,4', (book) => [2, 4].includes(book.authorId)],
    ['author.id.gte', '4', (book) => authorOf(book).id >= 4],
    ['author.bio.isNull', 'true', (book) => authorOf(book).bio === null],
    ['author.bio.contains', 'wrote', (book) => (authorOf(book).bio === null ? null : lower(authorOf(book).bio).includes('wrote'))],
    ['price.lt', '9', (book) => book.price < 9],
    ['stock.eq', '0', (book) => book.stock === 0]
  ]
  const authorTerms: Array<[string, string, (author: Row) => Truth]> = [
    ['books.price.lt', '7', (author) => booksOf(author).some((book) => book.price < 7)],
    ['books.stock.eq', '0', (author) => booksOf(author).some((book) => book.stock === 0)],
    ['books.title.contains', 'the', (author) => booksOf(author).some((book) => lower(book.title).includes('the'))],
    ['name.startsWith', 'i', (author) => lower(author.name).startsWith('i')],
    ['bio.isNull', 'false', (author) => author.bio !== null]
  ]
  const not3 = (value: Truth) => (value === null ? null : !value)
  const and3 = (values: Truth[]) => (values.includes(false) ? false : values.includes(null) ? null : true)
  const or3 = (values: Truth[]) => (values.includes(true) ? true : values.includes(null) ? null : false)
  const check = async <R extends Row>(path: string, rows: R[], terms: Array<[string, string, (row: R) => Truth]>, picks: Array<[number, string]>) => {
    const used = new Map<string, [string, string, (row: R) => Truth, string]>()
    for (const [index, place] of picks) {
      const [key, value, test] = terms[index % terms.length]
      const prefix = place === 'and' ? 'where.' : place === 'not' ? 'where.not.' : `where.or.${place}.`
      used.set(prefix + key, [key, value, test, place])
    }
    const url = `${path}?${[...used].map(([key, [, value]]) => `${key}=${encodeURIComponent(value)}`).join('&')}&fields=id&limit=100`
    const expected = rows.filter((row) => {
      const terms = [...used.values()]
      const plain = terms.filter((term) => term[3] === 'and').map((term) => term[2](row))
      const negated = terms.filter((term) => term[3] === 'not').map((term) => not3(term[2](row)))
      const labels = [...new Set(terms.filter((term) => term[3].length === 1).map((term) => term[3]))]
      const groups = labels.map((label) => and3(terms.filter((term) => term[3] === label).map((term) => term[2](row))))
      return and3([...plain, ...negated, ...(labels.length > 0 ? [or3(groups)] : [])]) === true
    })
    t.same((await rowsOf(app, url)).map((row) => row.id), expected.map((row) => row.id), url)
    return expected.length
  }
  const picks = fc.array(fc.tuple(fc.nat(), fc.constantFrom('and', 'not', 'a', 'b')), { minLength: 1, maxLength: 4 })
  let selective = 0
  await fc.assert(
    fc.asyncProperty(picks, picks, async (bookPicks, authorPicks) => {
      const matched = await check('/books', books, bookTerms, bookPicks)
      await check('/authors', authors, authorTerms, authorPicks)
      if (matched > 0 && matched < books.length) selective++
    }),
    { numRuns: 60 }
  )
  t.ok(selective > 15, `${selective} of 60 book filters selected some rows but not all`)

  const sorted = await walkPages(app, '/books?orderby.author.name=desc&orderby.price=asc&limit=4&fields=id')
  const expected = [...books].sort(
    (a, b) => (authorOf(a).name < authorOf(b).name ? 1 : authorOf(a).name > authorOf(b).name ? -1 : 0) || a.price - b.price || a.id - b.id
  )
  t.same(sorted.rows.map((row) => row.id), expected.map((row) => row.id), 'keyset paging through a joined sort key is exact')
  const cheapFirst = await walkPages(app, '/books?where.author.id.lte=3&orderby.author.createdAt=desc&orderby.price=desc&limit=3&fields=id')
  t.same(
    cheapFirst.rows.map((row) => row.id),
    books.filter((book) => book.authorId <= 3).sort((a, b) => b.authorId - a.authorId || b.price - a.price || a.id - b.id).map((book) => book.id),
    'a filter and a sort through the same join'
  )
  // Author.bio is TEXT, which Author does not declare sortable: not sortable through a relation either.
  problemOf(t, await app.inject('/books?orderby.author.bio=asc'), 400)
})

t.test('no N+1: a page runs one statement, plus one per to-many include, whatever its size', async (t) => {
  // One pooled connection, so the session's own counter sees every statement the requests run.
  const app = await demoApp(t, { DB_POOL_SIZE: 1 })
  const executed = async () => {
    const [row] = await app.db.query("SHOW SESSION STATUS LIKE 'Com_stmt_execute'")
    return Number(row.Value)
  }
  const statementsOf = async (url: string) => {
    await rowsOf(app, url) // prepares the statements, so the counted run is a steady-state one
    const before = await executed()
    const rows = await rowsOf(app, url)
    return { statements: (await executed()) - before, rows: rows.length }
  }
  for (const limit of [2, 24]) {
    t.same(await statementsOf(`/books?limit=${limit}`), { statements: 1, rows: limit }, `plain list of ${limit}`)
    t.same(await statementsOf(`/books?include=author&limit=${limit}`), { statements: 1, rows: limit }, `include=author, ${limit} rows: joined`)
    t.same(await statementsOf(`/books?include=author,orders&limit=${limit}`), { statements: 2, rows: limit }, `include=author,orders, ${limit} rows`)
  }
  for (const limit of [1, 6]) {
    t.same(await statementsOf(`/authors?include=books&limit=${limit}`), { statements: 2, rows: limit }, `include=books, ${limit} authors`)
    t.same(await statementsOf(`/authors?include=books.orders&limit=${limit}`), { statements: 3, rows: limit }, `include=books.orders, ${limit} authors`)
  }
  t.same(await statementsOf('/orders?include=book.author'), { statements: 2, rows: 5 }, 'include=book.author: the book joined, its author read for all orders at once')
})

t.test("embeds follow the related entity's own rules", async (t) => {
  const app = await demoApp(t, { AUTH_MODE: 'jwt', AUTH_JWT_SECRET: TEST_SECRET })
  const alice = bearer('alice', [])
  const bob = bearer('bob', [])
  for (const [headers, bookId] of [[alice, 5], [bob, 5], [alice, 6]] as const) {
    const placed = await app.inject({ method: 'POST', url: '/orders', headers, payload: { bookId, quantity: 1 } })
    t.equal(placed.statusCode, 201, placed.body)
  }

  const anonymous = await rowsOf(app, '/authors?include=books&where.id.eq=2')
  t.ok(anonymous[0].books.length > 0 && anonymous[0].books.every((book: Row) => !('stock' in book) && 'price' in book), "Book's field rules: no stock for anonymous callers")
  const refused = problemOf(t, await app.inject('/authors?fields=name,books.stock'), 403)
  t.match(refused.detail, /your roles may not read Book\.stock/)
  problemOf(t, await app.inject('/authors?include=books&orderby.books.stock=desc'), 403)
  const editor = await rowsOf(app, '/authors?fields=books.stock&where.id.eq=2', bearer('ed', ['editor']))
  t.ok(editor[0].books.every((book: Row) => typeof book.stock === 'number'), 'an editor sees stock')

  problemOf(t, await app.inject('/books?include=orders'), 401)
  problemOf(t, await app.inject('/authors?include=books.orders'), 401)
  const deep = await rowsOf(app, '/authors?where.id.eq=2&include=books.orders&fields=id,books.id', alice)
  t.same(deep[0].books.map((book: Row) => [book.id, book.orders.map((order: Row) => order.customerId)]), [[5, ['alice']], [6, ['alice']], [7, []], [8, []], [9, []]], 'owner rule down the path')
  const mine = await rowsOf(app, '/books?where.id.in=5,6&include=orders&fields=id,orders.customerId', alice)
  t.same(mine, [{ id: 5, orders: [{ customerId: 'alice' }] }, { id: 6, orders: [{ customerId: 'alice' }] }], "Order's owner rule: alice sees only her orders")
  const bobs = await rowsOf(app, '/books?where.id.in=5,6&include=orders&fields=id,orders.customerId', bob)
  t.same(bobs, [{ id: 5, orders: [{ customerId: 'bob' }] }, { id: 6, orders: [] }])
  const all = await rowsOf(app, '/books?where.id.in=5,6&include=orders&fields=id,orders.customerId', bearer('sam', ['staff']))
  t.same(all.map((book) => book.orders.length), [2, 1], 'staff sees every order')
  const one = await app.inject({ url: '/books/5?include=orders&fields=orders.customerId', headers: alice })
  t.same(one.json(), { orders: [{ customerId: 'alice' }] }, 'GET /:id embeds under the same rules')
  problemOf(t, await app.inject('/books/5?include=orders'), 401)
  problemOf(t, await app.inject('/authors?where.books.stock.eq=0'), 403)
  problemOf(t, await app.inject('/books?orderby.author.name=asc&where.orders.quantity.gte=1'), 401)
  t.same((await rowsOf(app, '/books?where.orders.quantity.gte=1&fields=id', alice)).map((book) => book.id), [5, 6], "a filter through orders sees only alice's")
  t.same((await rowsOf(app, '/books?where.orders.quantity.gte=1&fields=id', bob)).map((book) => book.id), [5])
  t.same((await rowsOf(app, '/books?where.not.orders.quantity.gte=1&where.id.in=5,6&fields=id', bob)).map((book) => book.id), [6])
  const ordersWithBook = await rowsOf(app, '/orders?include=book&fields=id,book.title', alice)
  t.same(ordersWithBook.map((order) => order.book.title).sort(), ['A Wizard of Earthsea', 'The Left Hand of Darkness'])
})
