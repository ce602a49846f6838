import t from 'tap'
import { buildSpecimenApp } from '../fixtures/specimen-app'
import { answeredOf, SPECIMEN_CASES } from '../fixtures/specimen-cases'
import { walkPages } from '../fixtures/paging'
import fc from 'fast-check'
import { and3, asQueryText, compareField, matches, not3, or3, orderedBy, truthOf, UNORDERED_FIELDS } from '../support/json-oracle'
import { waitForIdlePool } from '../support/pool-state'
import { queryKeysOf } from '../http/openapi-support'

// Issue 7 §1: filter ops per kind, and sort + keyset paging through every row exactly once, for
// every sortable kind. The oracle is the same predicate or ordering evaluated in JS over all rows.

const ROWS = 10
const seedsOf = (field: string): unknown[] => {
  const kind = SPECIMEN_CASES.find((each) => each.field === field)!
  return kind.seeds ?? kind.accepted.map(answeredOf)
}

t.test('filters and keyset paging agree with a JS oracle for every column kind', async (t) => {
  const app = await buildSpecimenApp(t)
  for (let i = 0; i < ROWS; i++) {
    const body: Record<string, unknown> = {}
    for (const kind of SPECIMEN_CASES) {
      const seeds = seedsOf(kind.field)
      body[kind.field] = seeds[i % seeds.length]
    }
    const created = await app.inject({ method: 'POST', url: '/specimens', payload: body })
    t.equal(created.statusCode, 201, created.statusCode === 201 ? `row ${i}` : created.body)
  }
  const all: Array<Record<string, unknown>> = (await app.inject(`/specimens?limit=100`)).json()
  t.equal(all.length, ROWS)

  const doc = (await app.inject('/openapi.json')).json()
  const parameters = queryKeysOf(doc.paths['/specimens'].get)
  const filters = parameters.filter((name) => name.startsWith('where.')).map((name) => name.split('.').slice(1))
  const sortable = parameters.filter((name) => name.startsWith('orderby.')).map((name) => name.slice('orderby.'.length))

  await t.test('every filter op of every filterable field', async (t) => {
    let checked = 0
    for (const [field, op] of filters) {
      const seeds = field in (all[0] ?? {}) ? [...new Set(all.map((row) => JSON.stringify(row[field])))].map((text) => JSON.parse(text)) : []
      const values: unknown[] = op === 'isNull' ? [true, false] : seeds.filter((value) => value !== null)
      for (const value of values) {
        if (Array.isArray(value) && LISTED_OPS.has(op)) continue // a SET has no in/nin/between
        const { query, text } = conditionValue(field, op, value, values)
        const url = `/specimens?where.${field}.${op}=${encodeURIComponent(text)}&limit=100&fields=id`
        const response = await app.inject(url)
        if (response.statusCode !== 200) {
          t.fail(`${url} answered ${response.statusCode}: ${response.body}`)
          continue
        }
        const got = response.json().map((row: { id: number }) => row.id)
        const expected = all.filter((row) => matches(field, op, row[field], query)).map((row) => row.id)
        t.same(got, expected, `where.${field}.${op}=${text}`)
        checked++
      }
    }
    t.ok(checked > 200, `${checked} filters checked`)
  })

  await t.test('sorting and keyset paging by every sortable field, both ways', async (t) => {
    for (const field of sortable) {
      for (const direction of ['asc', 'desc'] as const) {
        const { rows, pages } = await walkPages(app, `/specimens?orderby.${field}=${direction}&limit=3`)
        const ids = rows.map((row) => row.id)
        t.equal(new Set(ids).size, ROWS, `orderby.${field}=${direction}: every row exactly once over ${pages} pages`)
        if (UNORDERED_FIELDS.has(field)) continue
        const expected = [...all].sort(orderedBy([field, direction === 'desc'])).map((row) => row.id)
        t.same(ids, expected, `orderby.${field}=${direction} is the column's order, the key breaking ties`)
      }
    }
  })

  await t.test('two sort keys page exactly too', async (t) => {
    const { rows } = await walkPages(app, '/specimens?orderby.color=asc&orderby.dt6=desc&limit=2')
    const expected = [...all].sort(orderedBy(['color', false], ['dt6', true]))
    t.same(
      rows.map((row) => row.id),
      expected.map((row) => row.id)
    )
  })

  await t.test('random where / where.not / where.or groups select what the same logic selects in JS', async (t) => {
    const seedsOf = (field: string) => [...new Set(all.map((row) => JSON.stringify(row[field])))].map((text) => JSON.parse(text)).filter((value) => value !== null)
    const usable = filters.filter(([field, op]) => op === 'isNull' || (field in all[0] && seedsOf(field).some((value) => !(Array.isArray(value) && LISTED_OPS.has(op)))))
    const placement = fc.constantFrom('and', 'not', 'a', 'b', 'c')
    const term = fc.tuple(fc.constantFrom(...usable), fc.nat(), placement).map(([[field, op], pick, place]) => {
      const values: unknown[] = op === 'isNull' ? [true, false] : seedsOf(field).filter((value) => !(Array.isArray(value) && LISTED_OPS.has(op)))
      const { query, text } = conditionValue(field, op, values[pick % values.length], values)
      const prefix = place === 'and' ? 'where.' : place === 'not' ? 'where.not.' : `where.or.${place}.`
      return { key: `${prefix}${field}.${op}`, text, place, test: (row: Record<string, unknown>) => truthOf(field, op, row[field], query) }
    })
    let nonTrivial = 0
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(term, { minLength: 1, maxLength: 6, selector: (each) => each.key }), async (terms) => {
        const url = `/specimens?${terms.map((each) => `${each.key}=${encodeURIComponent(each.text)}`).join('&')}&limit=100&fields=id`
        const response = await app.inject(url)
        if (response.statusCode !== 200) throw new Error(`${url} answered ${response.statusCode}: ${response.body}`)
        const expected = all.filter((row) => {
          const plain = terms.filter((each) => each.place === 'and').map((each) => each.test(row))
          const negated = terms.filter((each) => each.place === 'not').map((each) => not3(each.test(row)))
          const labels = [...new Set(terms.filter((each) => each.place.length === 1).map((each) => each.place))]
          const groups = labels.map((label) => and3(terms.filter((each) => each.place === label).map((each) => each.test(row))))
          return and3([...plain, ...negated, ...(labels.length > 0 ? [or3(groups)] : [])]) === true
        })
        const got = response.json().map((row: { id: number }) => row.id)
        if (expected.length > 0 && expected.length < all.length) nonTrivial++
        t.same(got, expected.map((row) => row.id), url)
      }),
      { numRuns: 80 }
    )
    t.ok(nonTrivial > 20, `${nonTrivial} of 80 requests selected some rows but not all`)
  })

  t.equal((await waitForIdlePool(app)).active, 0, 'the pool is idle afterwards')
})

const LISTED_OPS = new Set(['in', 'nin', 'between'])

/** A value for `where.<field>.<op>` built from a stored value: what the oracle compares with, and its query text. */
function conditionValue(field: string, op: string, value: unknown, values: unknown[]): { query: unknown; text: string } {
  let query: unknown = value
  if (op === 'in' || op === 'nin') query = [value, values[(values.indexOf(value) + 1) % values.length]]
  if (op === 'like' || op === 'notLike') query = `${String(value).slice(0, 2)}%`
  if (op === 'contains') query = String(value).slice(1, 3)
  if (op === 'startsWith') query = String(value).slice(0, 2)
  if (op === 'endsWith') query = String(value).slice(-2)
  if (op === 'between') query = [value, ...values.filter((other) => compareField(field, other, value) >= 0).slice(-1)]
  // `\,` is a comma inside one in/nin value (a between bound is never text with a comma here)
  const text =
    op === 'isNull' ? String(value) : LISTED_OPS.has(op) ? (query as unknown[]).map((item) => asQueryText(item).replace(/[\\,]/g, '\\$&')).join(',') : asQueryText(query)
  return { query, text }
}
