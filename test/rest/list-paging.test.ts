import t from 'tap'
import { buildTestApp } from '../helper'
import { problemOf, seedAuthors, seedBooks, type SeedBook } from '../fixtures/seed'
import { walkPages } from '../fixtures/paging'

t.test('ordering and keyset paging', async (t) => {
  const app = await buildTestApp(t)
  const authorIds = await seedAuthors(app, [{ name: 'A' }, { name: 'B' }, { name: 'C' }])
  // Few distinct prices and titles, so sorts have many ties that only the primary key breaks.
  const books: SeedBook[] = Array.from({ length: 57 }, (_, i) => ({
    title: `title ${String.fromCharCode(97 + (i % 5))}`,
    isbn: `p${i}`,
    price: [5, 7.25, 9.5, 11][i % 4],
    stock: i % 6,
    authorId: authorIds[i % 3]
  }))
  const ids = await seedBooks(app, books)
  const seeded = books.map((book, index) => ({ ...book, id: ids[index] }))
  type Seeded = (typeof seeded)[number]
  const compareBy =
    (...keys: Array<[keyof Seeded, 'asc' | 'desc']>) =>
    (a: Seeded, b: Seeded) => {
      for (const [key, direction] of keys) {
        if (a[key] !== b[key]) return (a[key] < b[key] ? -1 : 1) * (direction === 'asc' ? 1 : -1)
      }
      return a.id - b.id
    }
  const idsOf = (rows: Array<Record<string, unknown>>) => rows.map((row) => row.id)

  await t.test('multi-field orderby keeps URL order', async (t) => {
    const priceThenTitle = (await app.inject('/books?orderby.price=desc&orderby.title=asc&limit=100')).json()
    t.same(idsOf(priceThenTitle), [...seeded].sort(compareBy(['price', 'desc'], ['title', 'asc'])).map((b) => b.id))
    const titleThenPrice = (await app.inject('/books?orderby.title=asc&orderby.price=desc&limit=100')).json()
    t.same(idsOf(titleThenPrice), [...seeded].sort(compareBy(['title', 'asc'], ['price', 'desc'])).map((b) => b.id))
    t.notSame(idsOf(priceThenTitle), idsOf(titleThenPrice), 'the two orders differ on this data')
    const byIdDesc = (await app.inject('/books?orderby.id=desc&limit=100')).json()
    t.same(idsOf(byIdDesc), [...ids].reverse())
  })

  await t.test('limit defaults to 20; the last page has no Link', async (t) => {
    const first = await app.inject('/books')
    t.equal(first.json().length, 20)
    t.match(first.headers.link, /^<\/books\?cursor=[\w-]+\.[\w-]+>; rel="next"$/)
    const last = await app.inject(`/books?limit=100`)
    t.equal(last.json().length, 57)
    t.notOk(last.headers.link)
  })

  await t.test('paging through all rows with Link returns each row exactly once', async (t) => {
    const plain = await walkPages(app, '/books?limit=10')
    t.same(idsOf(plain.rows), ids, 'primary key order without orderby')
    t.equal(plain.pages, 6)

    const sorted = await walkPages(app, '/books?orderby.price=desc&orderby.title=asc&limit=7')
    t.same(idsOf(sorted.rows), [...seeded].sort(compareBy(['price', 'desc'], ['title', 'asc'])).map((b) => b.id))

    const filtered = await walkPages(app, '/books?where.stock.gt=2&orderby.authorId=asc&orderby.stock=desc&limit=4&totalCount=true')
    const expected = seeded.filter((b) => b.stock > 2).sort(compareBy(['authorId', 'asc'], ['stock', 'desc']))
    t.same(idsOf(filtered.rows), expected.map((b) => b.id))

    const narrow = await walkPages(app, '/books?fields=title&orderby.price=asc&limit=9')
    t.equal(narrow.rows.length, 57)
    t.ok(narrow.rows.every((row) => Object.keys(row).join() === 'title'), 'sort keys ride along without being returned')
    t.same(
      narrow.rows.map((row) => row.title),
      [...seeded].sort(compareBy(['price', 'asc'])).map((b) => b.title)
    )

    const fromOffset = await walkPages(app, '/books?offset=5&limit=10')
    t.same(idsOf(fromOffset.rows), ids.slice(5), 'offset applies to the first page only')
  })

  await t.test('a cursor survives rows inserted before it (keyset, not offset)', async (t) => {
    const first = await app.inject('/books?limit=10')
    const next = /^<([^>]+)>/.exec(first.headers.link as string)![1]
    const [early] = await seedBooks(app, [{ title: 'title a', isbn: 'late-1', price: 1, stock: 0, authorId: authorIds[0] }])
    const second = (await app.inject(next)).json()
    t.same(idsOf(second), ids.slice(10, 20))
    await app.db.query('DELETE FROM books WHERE id = ?', [early])
  })

  await t.test('tampered, foreign or misused cursors are 400 naming cursor', async (t) => {
    const first = await app.inject('/books?orderby.price=asc&limit=5')
    const cursor = /cursor=([^&>]+)/.exec(first.headers.link as string)![1]
    const [payload, sum] = cursor.split('.')
    const flipped = payload.slice(0, -2) + (payload.at(-2) === 'A' ? 'B' : 'A') + payload.at(-1)
    const forged = Buffer.from(JSON.stringify(['1 OR 1=1', 1])).toString('base64url')
    const cases = [
      `/books?orderby.price=asc&limit=5&cursor=${flipped}.${sum}`,
      `/books?orderby.price=asc&limit=5&cursor=${payload}`,
      `/books?orderby.price=asc&limit=5&cursor=${forged}.${sum}`,
      `/books?orderby.price=asc&limit=5&cursor=%27%20OR%201%3D1`,
      `/books?orderby.title=asc&limit=5&cursor=${cursor}`,
      `/books?limit=5&cursor=${cursor}`
    ]
    for (const url of cases) {
      const body = problemOf(t, await app.inject(url), 400)
      t.equal(body.errors[0].path, 'querystring.cursor', url)
    }
    const withOffset = problemOf(t, await app.inject(`/books?orderby.price=asc&offset=3&cursor=${cursor}`), 400)
    t.equal(withOffset.errors[0].path, 'querystring.offset')
    t.equal((await app.inject(`/books?orderby.price=asc&limit=5&cursor=${cursor}`)).statusCode, 200, 'the real one works')
  })
})
