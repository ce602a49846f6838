import t from 'tap'
import { buildTestApp } from '../helper'
import { problemOf, seedAuthors } from '../fixtures/seed'

/** Counts borrows from the app's pool while `fn` runs: a refusal must not take a connection. */
async function borrowsDuring(app: Awaited<ReturnType<typeof buildTestApp>>, fn: () => Promise<unknown>): Promise<number> {
  let borrows = 0
  const count = () => borrows++
  app.poolGuard.on('acquired', count)
  try {
    await fn()
  } finally {
    app.poolGuard.off('acquired', count)
  }
  return borrows
}

t.test('by default an offset beyond 10,000 is refused before any connection is borrowed', async (t) => {
  const app = await buildTestApp(t)
  await seedAuthors(app, [{ name: 'A' }])
  await app.ready()

  let response: Awaited<ReturnType<typeof app.inject>> | undefined
  const borrows = await borrowsDuring(app, async () => {
    response = await app.inject('/books?orderby.title=desc&offset=1000000')
  })
  const problem = problemOf(t, response!, 400)
  t.match(problem.type, /\/offset-too-deep$/)
  t.match(problem.detail, /at most 10000/)
  t.match(problem.detail, /Link rel="next"/, 'the detail points to the Link header')
  t.match(problem.detail, /cursor=/, 'and to cursor paging')
  t.same(problem.errors, [{ path: 'querystring.offset', message: problem.errors[0].message }])
  t.equal(borrows, 0, 'the pool was never borrowed for the refusal')

  t.equal((await app.inject('/authors?offset=10001')).statusCode, 400, 'every generated list route is bounded')
  t.equal(problemOf(t, await app.inject('/books?offset=99999999999999999999'), 400).type.endsWith('/offset-too-deep'), true, 'even past 2^64')
  const atBound = await borrowsDuring(app, async () => t.equal((await app.inject('/books?offset=10000')).statusCode, 200, 'the bound itself is allowed'))
  t.ok(atBound >= 1, 'a list within the bound does borrow (so the counter counts)')
  t.match(problemOf(t, await app.inject('/books?offset=1e5'), 400).type, /\/validation-failed$/, 'non-decimal text is still the schema\'s to refuse')
})

t.test('the OpenAPI document states the same bound on every list offset', async (t) => {
  const app = await buildTestApp(t, { REST_MAX_OFFSET: 500 })
  const document = (await app.inject('/docs/json')).json()
  const offsets = Object.entries<any>(document.paths)
    .filter(([, item]) => item.get?.parameters?.some((parameter: any) => parameter.name === 'cursor'))
    .map(([path, item]) => [path, item.get.parameters.find((parameter: any) => parameter.name === 'offset')])
  t.ok(offsets.length >= 2, `list routes found: ${offsets.map(([path]) => path).join(', ')}`)
  for (const [path, offset] of offsets) t.equal(offset?.schema?.maximum, 500, `${path} offset maximum`)
  t.equal((await app.inject('/books?offset=500')).statusCode, 200)
  t.match(problemOf(t, await app.inject('/books?offset=501'), 400).detail, /at most 500/)
})

t.test('REST_MAX_OFFSET=0 removes the bound', async (t) => {
  const app = await buildTestApp(t, { REST_MAX_OFFSET: 0 })
  const response = await app.inject('/books?offset=5000000')
  t.equal(response.statusCode, 200)
  t.same(response.json(), [])
})
