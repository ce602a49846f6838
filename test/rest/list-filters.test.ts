import t from 'tap'
import { buildTestApp } from '../helper'
import { countRows, problemOf, seedAuthors, seedBooks, type SeedBook } from '../fixtures/seed'

const qs = (params: Record<string, string | number>) =>
  Object.entries(params)
    .map(([key, value]) => `${key}=${encodeURIComponent(String(value))}`)
    .join('&')

t.test('list filters, fields, totalCount and what is refused', async (t) => {
  const app = await buildTestApp(t)
  const authorIds = await seedAuthors(app, [
    { name: 'Ursula', bio: 'Earthsea' },
    { name: 'Iain', bio: null },
    { name: 'Octavia', bio: 'Xenogenesis' }
  ])
  const books: SeedBook[] = [
    { title: 'A Wizard of Earthsea', isbn: 'b01', price: 12.5, stock: 3, authorId: authorIds[0] },
    { title: 'The Tombs of Atuan', isbn: 'b02', price: 9.99, stock: 0, authorId: authorIds[0] },
    { title: 'The Farthest Shore', isbn: 'b03', price: 10, stock: 7, authorId: authorIds[0] },
    { title: 'Consider Phlebas', isbn: 'b04', price: 15.25, stock: 3, authorId: authorIds[1] },
    { title: 'Use of Weapons', isbn: 'b05', price: 7.5, stock: 12, authorId: authorIds[1] },
    { title: "Excession's Sea", isbn: 'b06', price: 20, stock: 1, authorId: authorIds[1] },
    { title: 'Dawn', isbn: 'b07', price: 8.75, stock: 3, authorId: authorIds[2] },
    { title: 'Kindred', isbn: 'b08', price: 11, stock: 0, authorId: authorIds[2] },
    // Wildcards and commas in the text, for contains/startsWith/endsWith and escaped in-lists.
    { title: '50% Off_Sale, Vol. 1', isbn: 'b09', price: 5, stock: 2, authorId: authorIds[2] },
    { title: '500 Offers!', isbn: 'b10', price: 6, stock: 2, authorId: authorIds[2] }
  ]
  const bookIds = await seedBooks(app, books)
  const seeded = books.map((book, index) => ({ ...book, id: bookIds[index] }))
  const idsWhere = (predicate: (book: (typeof seeded)[number]) => boolean) =>
    seeded.filter(predicate).map((book) => book.id)
  const listIds = async (url: string) => {
    const response = await app.inject(url)
    t.equal(response.statusCode, 200, url)
    return (response.json() as Array<{ id: number }>).map((row) => row.id)
  }

  await t.test('every filter op on books', async (t) => {
    const cases: Array<[Record<string, string | number>, number[]]> = [
      [{ 'where.stock.eq': 3 }, idsWhere((b) => b.stock === 3)],
      [{ 'where.stock.neq': 3 }, idsWhere((b) => b.stock !== 3)],
      [{ 'where.price.gt': 10 }, idsWhere((b) => b.price > 10)],
      [{ 'where.price.gte': 10 }, idsWhere((b) => b.price >= 10)],
      [{ 'where.price.lt': 9.99 }, idsWhere((b) => b.price < 9.99)],
      [{ 'where.price.lte': 9.99 }, idsWhere((b) => b.price <= 9.99)],
      [{ 'where.authorId.in': `${authorIds[0]},${authorIds[2]}` }, idsWhere((b) => b.authorId !== authorIds[1])],
      [{ 'where.authorId.nin': `${authorIds[0]},${authorIds[2]}` }, idsWhere((b) => b.authorId === authorIds[1])],
      [{ 'where.title.like': '%Sea%' }, idsWhere((b) => /sea/i.test(b.title))],
      [{ 'where.title.eq': 'Dawn' }, idsWhere((b) => b.title === 'Dawn')],
      [{ 'where.title.in': 'Dawn,Kindred' }, idsWhere((b) => ['Dawn', 'Kindred'].includes(b.title))],
      [{ 'where.title.gte': 'U' }, idsWhere((b) => b.title.toUpperCase() >= 'U')],
      [{ 'where.price.gte': 9, 'where.price.lt': 12, 'where.stock.gt': 0 }, idsWhere((b) => b.price >= 9 && b.price < 12 && b.stock > 0)],
      [{ 'where.isbn.eq': 'b04' }, idsWhere((b) => b.isbn === 'b04')]
    ]
    for (const [params, expected] of cases) {
      t.same(await listIds(`/books?${qs(params)}`), expected, qs(params))
    }
  })

  await t.test('string patterns, inclusive ranges and lists with commas', async (t) => {
    const cases: Array<[Record<string, string | number>, number[]]> = [
      [{ 'where.title.contains': '50%' }, idsWhere((b) => b.title.includes('50%'))],
      [{ 'where.title.contains': 'f_S' }, idsWhere((b) => b.title.includes('f_S'))],
      [{ 'where.title.contains': 's!' }, idsWhere((b) => b.title.toLowerCase().includes('s!'))],
      [{ 'where.title.contains': 'SEA' }, idsWhere((b) => /sea/i.test(b.title))],
      [{ 'where.title.startsWith': '50' }, idsWhere((b) => b.title.startsWith('50'))],
      [{ 'where.title.startsWith': '50%' }, idsWhere((b) => b.title.startsWith('50%'))],
      [{ 'where.title.endsWith': 'Sea' }, idsWhere((b) => /sea$/i.test(b.title))],
      [{ 'where.title.notLike': 'The %' }, idsWhere((b) => !b.title.startsWith('The '))],
      [{ 'where.title.notLike': '50_%' }, idsWhere((b) => !/^50./.test(b.title))],
      [{ 'where.price.between': '9.99,12.5' }, idsWhere((b) => b.price >= 9.99 && b.price <= 12.5)],
      [{ 'where.price.between': '10,10' }, idsWhere((b) => b.price === 10)],
      [{ 'where.stock.between': '1,3', 'where.price.lt': 13 }, idsWhere((b) => b.stock >= 1 && b.stock <= 3 && b.price < 13)],
      [{ 'where.title.in': '50% Off_Sale\\, Vol. 1,Dawn' }, idsWhere((b) => ['50% Off_Sale, Vol. 1', 'Dawn'].includes(b.title))],
      [{ 'where.title.nin': '50% Off_Sale\\, Vol. 1' }, idsWhere((b) => b.title !== '50% Off_Sale, Vol. 1')],
      [{ 'where.title.in': '50% Off_Sale, Vol. 1' }, []]
    ]
    for (const [params, expected] of cases) {
      t.same(await listIds(`/books?${qs(params)}`), expected, qs(params))
    }
    t.ok(idsWhere((b) => b.title.includes('50%')).length === 1, 'contains=50% matches the literal, not "50" then anything')
    const past = new Date(Date.now() - 3_600_000).toISOString()
    const future = new Date(Date.now() + 3_600_000).toISOString()
    t.same(await listIds(`/books?${qs({ 'where.createdAt.between': `${past},${future}` })}`), bookIds, 'dates between, inclusive')
    for (const [url, message] of [
      ['/books?where.price.between=12,10', /low bound "12" is above high bound "10"/],
      ['/books?where.price.between=10', /two values/],
      ['/books?where.price.between=1,2,3', /two values/],
      ['/books?where.price.between=1,x', /not a decimal/],
      [`/books?${qs({ 'where.createdAt.between': `${future},${past}` })}`, /is above high bound/]
    ] as const) {
      const body = problemOf(t, await app.inject(url), 400)
      t.match(body.errors?.[0]?.message, message, url)
    }
  })

  await t.test('datetime and enum filters', async (t) => {
    const past = new Date(Date.now() - 3_600_000).toISOString()
    const future = new Date(Date.now() + 3_600_000).toISOString()
    t.same(await listIds(`/books?${qs({ 'where.createdAt.gt': past })}`), bookIds)
    t.same(await listIds(`/books?${qs({ 'where.createdAt.lte': past })}`), [])
    t.same(await listIds(`/books?${qs({ 'where.updatedAt.lt': future, 'where.createdAt.neq': past })}`), bookIds)
    await app.db.query('INSERT INTO orders (bookId, quantity, status) VALUES (?, 1, ?), (?, 2, ?), (?, 3, ?)', [
      bookIds[0], 'placed', bookIds[1], 'shipped', bookIds[2], 'cancelled'
    ])
    const shipped = (await app.inject('/orders?where.status.eq=shipped')).json()
    t.match(shipped, [{ bookId: bookIds[1], quantity: 2, status: 'shipped' }])
    t.equal(shipped.length, 1)
    const notPlaced = (await app.inject('/orders?where.status.nin=placed&orderby.quantity=desc')).json()
    t.same(notPlaced.map((order: { quantity: number }) => order.quantity), [3, 2])
    problemOf(t, await app.inject('/orders?where.status.eq=lost'), 400)
    problemOf(t, await app.inject('/orders?where.status.in=placed,lost'), 400)
  })

  await t.test('isNull on a nullable field', async (t) => {
    const withoutBio = (await app.inject('/authors?where.bio.isNull=true')).json()
    t.same(withoutBio.map((a: { name: string }) => a.name), ['Iain'])
    const withBio = (await app.inject('/authors?where.bio.isNull=false')).json()
    t.same(withBio.map((a: { name: string }) => a.name), ['Ursula', 'Octavia'])
    problemOf(t, await app.inject('/books?where.stock.isNull=true'), 400)
  })

  await t.test('fields= selects what each row carries', async (t) => {
    const rows = (await app.inject('/books?fields=id,title&limit=3')).json()
    t.equal(rows.length, 3)
    for (const row of rows) t.same(Object.keys(row).sort(), ['id', 'title'])
    const priceOnly = (await app.inject('/books?fields=price&orderby.stock=desc&limit=1')).json()
    t.same(priceOnly, [{ price: 7.5 }], 'decimal stays a number, sort key not leaked')
    const body = problemOf(t, await app.inject('/books?fields=id,secret'), 400)
    t.same(body.errors, [
      { path: 'querystring.fields', message: '"secret" is not a readable field; readable: id, title, isbn, price, stock, authorId, version, createdAt, updatedAt' }
    ])
  })

  await t.test('totalCount=true sets X-Total-Count to all matching rows, not the page', async (t) => {
    const response = await app.inject('/books?where.stock.gt=0&limit=2&totalCount=true')
    t.equal(response.headers['x-total-count'], String(idsWhere((b) => b.stock > 0).length))
    t.equal(response.json().length, 2)
    t.notOk((await app.inject('/books?limit=2')).headers['x-total-count'], 'only when asked')
    const none = await app.inject('/books?where.price.gt=1000&totalCount=true')
    t.equal(none.headers['x-total-count'], '0')
    t.same(none.json(), [])
  })

  await t.test('unknown parameters, fields, ops and bad values are 400 naming the parameter', async (t) => {
    const cases: Array<[string, string]> = [
      ['/books?color=red', 'querystring.color'],
      ['/books?where.version.eq=1', 'querystring.where.version.eq'],
      ['/books?where.price.like=1%25', 'querystring.where.price.like'],
      ['/books?where.title.between=a', 'querystring.where.title.between'],
      ['/books?orderby.isbn=asc', 'querystring.orderby.isbn'],
      ['/books?orderby.title=sideways', 'querystring.orderby.title'],
      ['/books?where.price.lt=abc', 'querystring.where.price.lt'],
      ['/books?where.id.in=1,x', 'querystring.where.id.in'],
      ['/books?where.id.in=', 'querystring.where.id.in'],
      ['/books?where.createdAt.gt=yesterday', 'querystring.where.createdAt.gt'],
      ['/books?limit=101', 'querystring.limit'],
      ['/books?limit=0', 'querystring.limit'],
      ['/books?offset=-1', 'querystring.offset'],
      ['/books?where.stock.eq=1&where.stock.eq=2', 'querystring.where.stock.eq'],
      ['/authors?where.bio.like=x&where.bio.gt=a&where.bio.lte=b&where.createdAt.like=x', 'querystring.where.createdAt.like'],
      ['/books?where.not.version.eq=1', 'querystring.where.not.version.eq'],
      ['/books?where.not.price.like=1', 'querystring.where.not.price.like'],
      ['/books?where.not.price.lt=abc', 'querystring.where.not.price.lt'],
      ['/books?where.or.a-b.price.lt=5', 'querystring.where.or.a-b.price.lt'],
      [`/books?where.or.${'x'.repeat(33)}.price.lt=5`, `querystring.where.or.${'x'.repeat(33)}.price.lt`],
      ['/books?where.or.a.price=5', 'querystring.where.or.a.price'],
      ['/books?where.or.price.lt=5', 'querystring.where.or.price.lt'],
      ['/books?where.or.a.price.lt=x', 'querystring.where.or.a.price.lt'],
      ['/authors?where.or.a.bio.isNull=maybe', 'querystring.where.or.a.bio.isNull'],
      ['/books?where.or.a.not.price.lt=5', 'querystring.where.or.a.not.price.lt'],
      [`/books?${Array.from({ length: 17 }, (_, i) => `where.or.g${String(i).padStart(2, '0')}.stock.gte=${i}`).join('&')}`, 'querystring.where.or.g16.stock.gte']
    ]
    for (const [url, path] of cases) {
      const body = problemOf(t, await app.inject(url), 400)
      t.equal(body.errors?.[0]?.path, path, url)
      t.match(body.detail, path)
    }
  })

  await t.test('where.not and where.or groups', async (t) => {
    const cases: Array<[string, (book: (typeof seeded)[number]) => boolean]> = [
      ['where.not.stock.eq=3', (book) => book.stock !== 3],
      ['where.not.stock.eq=3&where.not.price.gte=11', (book) => book.stock !== 3 && book.price < 11],
      ['where.or.a.price.lt=8&where.or.b.stock.eq=0', (book) => book.price < 8 || book.stock === 0],
      [`where.authorId.eq=${authorIds[0]}&where.or.a.price.lt=10&where.or.b.stock.gt=5`, (book) => book.authorId === authorIds[0] && (book.price < 10 || book.stock > 5)],
      [
        `where.or.x.authorId.eq=${authorIds[1]}&where.or.x.stock.lte=3&where.or.y.title.contains=earthsea`,
        (book) => (book.authorId === authorIds[1] && book.stock <= 3) || book.title.toLowerCase().includes('earthsea')
      ],
      ['where.or.only.price.lt=8', (book) => book.price < 8],
      ['where.not.title.startsWith=the&where.or.a.stock.eq=0&where.or.b.price.between=15,25', (book) => !book.title.startsWith('The') && (book.stock === 0 || (book.price >= 15 && book.price <= 25))]
    ]
    for (const [query, predicate] of cases) t.same(await listIds(`/books?${query}&limit=100`), idsWhere(predicate), query)
    t.same(
      await listIds('/books?where.or.b.stock.eq=0&where.or.a.price.lt=8&limit=100'),
      await listIds('/books?where.or.a.price.lt=8&where.or.b.stock.eq=0&limit=100'),
      'labels and URL order do not change the result'
    )
    // NULL: neither the condition nor its negation matches an author without a bio.
    const bioless = await listIds('/authors?where.bio.isNull=true')
    const withBio = await listIds('/authors?where.bio.contains=sea')
    const notWithBio = await listIds('/authors?where.not.bio.contains=sea')
    t.same(bioless.length, 1)
    t.same([...withBio, ...notWithBio].sort(), authorIds.filter((id) => !bioless.includes(id)).sort(), 'every author with a bio is in exactly one of the two')
    t.same(await listIds('/authors?where.or.a.bio.isNull=true&where.or.b.bio.notLike=%25sea%25'), [authorIds[1], authorIds[2]], 'isNull ORed in brings them back')
    const response = await app.inject('/books?where.or.a.price.lt=8&where.or.b.stock.eq=0&totalCount=true&limit=1')
    t.equal(response.headers['x-total-count'], String(idsWhere((book) => book.price < 8 || book.stock === 0).length), 'the count follows the groups')
  })

  await t.test('SQL injection in values, orderby keys and fields is rejected or harmless', async (t) => {
    const before = await countRows(app, 'books')
    const harmless = [
      `/books?${qs({ 'where.title.eq': "' OR '1'='1" })}`,
      `/books?${qs({ 'where.title.like': "%'; DROP TABLE books; --" })}`,
      `/books?${qs({ 'where.title.in': "Dawn') OR ('1'='1" })}`,
      `/authors?${qs({ 'where.name.neq': '`; DELETE FROM authors; --' })}`,
      `/books?${qs({ 'where.title.contains': "' ESCAPE '' OR 1=1; --" })}`,
      `/books?${qs({ 'where.title.startsWith': "!%' OR '1'='1" })}`
    ]
    for (const url of harmless) {
      const response = await app.inject(url)
      t.equal(response.statusCode, 200, url)
      const rows = response.json()
      t.ok(url.includes('neq') ? rows.length === 3 : rows.length === 0, `bound as a plain value: ${url}`)
    }
    const rejected = [
      `/books?${qs({ 'where.id.in': '1) OR (1=1' })}`,
      `/books?${qs({ 'where.id.eq': '1 OR 1=1' })}`,
      `/books?${qs({ 'where.price.between': '1 OR 1=1,2' })}`,
      `/books?${qs({ 'where.price.between': '1,2) OR (1=1' })}`,
      `/books?${qs({ 'orderby.title;DROP TABLE books': 'asc' })}`,
      `/books?${qs({ 'orderby.(SELECT 1)': 'asc' })}`,
      `/books?${qs({ 'orderby.title': 'asc; DROP TABLE books' })}`,
      `/books?${qs({ fields: 'id,title FROM books; --' })}`,
      `/books?${qs({ fields: '*' })}`,
      `/books?${qs({ 'where.title`=1 OR 1=1;--.eq': 'x' })}`
    ]
    for (const url of rejected) problemOf(t, await app.inject(url), 400)
    t.equal(await countRows(app, 'books'), before, 'books intact')
    t.equal(await countRows(app, 'authors'), 3, 'authors intact')
  })
})
