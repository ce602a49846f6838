import t from 'tap'
import { demoApp, rowsOf } from '../fixtures/demo-app'
import { problemOf } from '../fixtures/seed'
import { walkPages } from '../fixtures/paging'
import { waitForIdlePool } from '../support/pool-state'

/** Whole words of a title, as InnoDB's full-text parser splits them (the demo titles are plain words). */
const wordsOf = (title: string) => title.toLowerCase().split(/[^a-z0-9]+/).filter(Boolean)

t.test('search= over the FULLTEXT index of books.title', async (t) => {
  const app = await demoApp(t)
  const books = await rowsOf(app, '/books?limit=100')
  const withWord = (...words: string[]) => books.filter((book) => words.some((word) => wordsOf(book.title).includes(word))).map((book) => book.id)

  for (const words of [['dune'], ['foundation'], ['parable'], ['dune', 'foundation'], ['weapons', 'kindred']]) {
    const found = await rowsOf(app, `/books?search=${encodeURIComponent(words.join(' '))}&fields=id&limit=100`)
    t.same(found.map((book) => book.id), withWord(...words), `search=${words.join(' ')}: the books with any of the words, by id`)
  }
  t.same(await rowsOf(app, '/books?search=zebra&fields=id'), [], 'no match: an empty page')
  const filtered = await app.inject('/books?search=dune&where.price.lt=9&totalCount=true&fields=id')
  t.same(filtered.json().map((book: { id: number }) => book.id), books.filter((book) => wordsOf(book.title).includes('dune') && book.price < 9).map((book) => book.id))
  t.equal(filtered.headers['x-total-count'], '2', 'the count follows the search')

  await t.test('orderby.relevance: best matches first, and every match once over the cursor pages', async (t) => {
    const url = '/books?search=dune%20foundation%20empire&orderby.relevance=desc&fields=id'
    const all = (await rowsOf(app, `${url}&limit=100`)).map((book) => book.id)
    t.same([...all].sort((a, b) => a - b), withWord('dune', 'foundation', 'empire'))
    t.equal(all[0], 11, 'Foundation and Empire matches two of the words: first')
    const paged = await walkPages(app, `${url}&limit=2`)
    t.same(paged.rows.map((row) => row.id), all, 'keyset pages in relevance order, ties by id')
    t.ok(paged.pages >= 4)
    const ascending = (await rowsOf(app, '/books?search=dune%20foundation%20empire&orderby.relevance=asc&fields=id&limit=100')).map((book) => book.id)
    t.equal(ascending[ascending.length - 1], 11, 'asc: best last')
  })

  await t.test('the words are a bound value, never a query', async (t) => {
    for (const text of ["' OR 1=1 --", '+dune -messiah', '"god emperor"', 'dune)) OR ((1', '%', '😀 dune']) {
      const response = await app.inject(`/books?search=${encodeURIComponent(text)}&fields=id&limit=100`)
      t.equal(response.statusCode, 200, text)
      const ids = response.json().map((book: { id: number }) => book.id)
      t.ok(ids.every((id: number) => books.some((book) => book.id === id)), `${text}: only books`)
    }
    // Natural language mode: + and - are no operators, so "-messiah" still finds Dune Messiah.
    t.ok((await rowsOf(app, '/books?search=%2Bdune%20-messiah&fields=id')).some((book) => book.id === 2))
  })

  await t.test('what is refused', async (t) => {
    const cases: Array<[string, string, RegExp]> = [
      ['/books?orderby.relevance=desc', 'querystring.orderby.relevance', /add search=/],
      ['/books?search=%20%20', 'querystring.search', /at least one word/],
      ['/books?search=', 'querystring.search', /fewer than 1 character/],
      ['/authors?search=herbert', 'querystring.search', /not allowed/],
      ['/authors?orderby.relevance=desc', 'querystring.orderby.relevance', /not allowed/]
    ]
    for (const [url, path, message] of cases) {
      const body = problemOf(t, await app.inject(url), 400)
      t.equal(body.errors?.[0]?.path, path, url)
      t.match(body.detail, message, url)
    }
  })

  t.equal((await waitForIdlePool(app)).active, 0, 'the pool is idle afterwards')
})
