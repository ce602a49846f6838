import t from 'tap'
import { buildTestApp } from '../helper'
import { problemOf } from '../fixtures/seed'

t.test('a known path with a method it lacks is a 405 listing the methods it has', async (t) => {
  const app = await buildTestApp(t)
  const cases: Array<[string, string, string]> = [
    ['DELETE', '/orders/1', 'GET, HEAD, PATCH'],
    ['POST', '/books/1', 'GET, HEAD, PUT, PATCH, DELETE'],
    ['PUT', '/books', 'GET, HEAD, POST, PATCH, DELETE'],
    ['PUT', '/books?limit=1', 'GET, HEAD, POST, PATCH, DELETE'],
    // Order exposes update but not delete: a PATCH on the collection, no DELETE.
    ['DELETE', '/orders?where.id.eq=1', 'GET, HEAD, POST, PATCH'],
    ['OPTIONS', '/authors/7', 'GET, HEAD, PUT, PATCH, DELETE']
  ]
  for (const [method, url, allow] of cases) {
    const response = await app.inject({ method: method as 'GET', url })
    const body = problemOf(t, response, 405)
    t.equal(body.type, 'https://lifeguard.dev/problems/method-not-allowed', `${method} ${url}`)
    t.equal(response.headers.allow, allow, `${method} ${url}: Allow`)
    t.equal(body.detail, `${method} is not allowed on ${url.split('?')[0]}; it allows ${allow}`)
  }
})

t.test('an unknown path stays a 404 route-not-found, whatever the method', async (t) => {
  const app = await buildTestApp(t)
  for (const method of ['GET', 'DELETE'] as const) {
    const response = await app.inject({ method, url: '/nope/1' })
    const body = problemOf(t, response, 404)
    t.equal(body.type, 'https://lifeguard.dev/problems/route-not-found')
    t.equal(response.headers.allow, undefined, 'no Allow on a 404')
  }
  // Paths are matched as Fastify's router matches them: case-sensitive, no trailing-slash folding.
  t.equal((await app.inject({ method: 'DELETE', url: '/BOOKS' })).statusCode, 404)
})

t.test('OPTIONS is listed only where a route registers it; routes added by tests count too', async (t) => {
  const app = await buildTestApp(t)
  app.options('/test/things', async () => '')
  app.get('/test/things', async () => [])
  const response = await app.inject({ method: 'POST', url: '/test/things' })
  problemOf(t, response, 405)
  t.equal(response.headers.allow, 'GET, HEAD, OPTIONS')
})
