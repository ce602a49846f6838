import t from 'tap'
import { buildTestApp } from '../helper'

t.test('live and ready answer 200 while the database is up', async (t) => {
  const app = await buildTestApp(t)
  const live = await app.inject('/health/live')
  t.equal(live.statusCode, 200)
  t.same(live.json(), { status: 'ok' })
  const ready = await app.inject('/health/ready')
  t.equal(ready.statusCode, 200)
  t.match(ready.json(), { status: 'ok', pool: { max: 10, saturated: false } })
})

t.test('an unknown route is a problem+json 404', async (t) => {
  const app = await buildTestApp(t)
  const res = await app.inject('/nope?x=1')
  t.equal(res.statusCode, 404)
  t.match(res.headers['content-type'], /^application\/problem\+json/)
  t.match(res.json(), { status: 404, title: 'Not Found', instance: '/nope?x=1', detail: 'no route for GET /nope' })
})

t.test('openapi.json is OpenAPI 3 and lists the health routes', async (t) => {
  const app = await buildTestApp(t)
  const res = await app.inject('/openapi.json')
  t.equal(res.statusCode, 200)
  const doc = res.json()
  t.match(doc.openapi, /^3\./)
  t.ok(doc.paths['/health/ready'], 'ready route documented')
  const ui = await app.inject('/docs/')
  t.equal(ui.statusCode, 200)
  t.match(ui.body, /swagger/i)
})
