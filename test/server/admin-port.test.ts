import t from 'tap'
import { createTestDatabase } from '../helper'
import { listeningUrl, startServer, waitForOutput } from '../support/server-process'

const ROUTE_NOT_FOUND = 'https://lifeguard.dev/problems/route-not-found'

/** The admin surface's paths: Prometheus, Swagger UI and its spec routes, the OpenAPI document. */
const ADMIN_PATHS = ['/metrics', '/docs', '/docs/', '/docs/json', '/docs/yaml', '/openapi.json']

t.test('ADMIN_PORT: /metrics and /docs only there, health on both ports, closed on SIGTERM', async (t) => {
  const config = await createTestDatabase(t)
  const child = startServer({ DATABASE_URL: config.DATABASE_URL, ADMIN_PORT: '0' })
  t.teardown(() => child.kill('SIGKILL'))
  const main = await listeningUrl(child)
  const [, admin] = await waitForOutput(child, /Admin server listening at (http:\/\/127\.0\.0\.1:\d+)/)
  t.not(admin, main, 'a second port')

  const api = await fetch(`${main}/authors?limit=1`)
  t.equal(api.status, 200, 'the API is on the main port')
  await api.arrayBuffer()

  for (const path of ADMIN_PATHS) {
    for (const method of ['GET', 'HEAD']) {
      const res = await fetch(`${main}${path}`, { method, redirect: 'manual' })
      t.equal(res.status, 404, `${method} ${path} is a 404 on the main port`)
      if (method === 'GET') {
        t.match(res.headers.get('content-type'), /^application\/problem\+json/)
        t.match(await res.json(), { type: ROUTE_NOT_FOUND, detail: `no route for GET ${path}` }, 'the same 404 as any unknown path')
      }
    }
  }

  const metrics = await fetch(`${admin}/metrics`)
  t.equal(metrics.status, 200, '/metrics on the admin port')
  t.match(metrics.headers.get('content-type'), /^text\/plain/)
  const text = await metrics.text()
  t.match(text, /http_request_duration_seconds_count\{method="GET",route="\/authors",status_code="200"\} 1/, "it counts the main port's requests: one registry")
  t.match(text, /db_pool_connections_max\{node="primary"\} 10/)

  const ui = await fetch(`${admin}/docs/`)
  t.equal(ui.status, 200)
  t.match(await ui.text(), /swagger/i, 'Swagger UI on the admin port')
  const spec = await fetch(`${admin}/docs/json`)
  t.equal(spec.status, 200)
  t.ok(((await spec.json()) as any).paths['/authors'], "Swagger UI's spec describes the API's routes")
  const yaml = await fetch(`${admin}/docs/yaml`)
  t.equal(yaml.status, 200)
  t.match(await yaml.text(), /^openapi: 3\./m)
  const document = await fetch(`${admin}/openapi.json`)
  t.equal(document.status, 200)
  t.ok(((await document.json()) as any).paths['/authors/{id}'], '/openapi.json on the admin port')

  for (const base of [main, admin]) {
    for (const probe of ['/health/live', '/health/ready']) {
      const res = await fetch(`${base}${probe}`)
      t.equal(res.status, 200, `${probe} on ${base === main ? 'the main' : 'the admin'} port`)
      await res.arrayBuffer()
    }
  }

  const notAdmin = await fetch(`${admin}/authors`)
  t.equal(notAdmin.status, 404, 'the API is not served on the admin port')
  t.match(await notAdmin.json(), { type: ROUTE_NOT_FOUND, detail: 'no route for GET /authors on the admin port' })

  child.kill('SIGTERM')
  t.equal(await child.exited, 0, 'SIGTERM is a clean exit with the admin listener open')
  const refused = await fetch(`${admin}/health/live`).then(
    () => 'answered',
    (err: { cause?: { code?: string } }) => err.cause?.code
  )
  t.equal(refused, 'ECONNREFUSED', 'the admin port is closed after shutdown')
  t.equal(child.output.stderr, '', 'nothing on stderr')
})

t.test('an ADMIN_PORT that cannot be bound stops start-up before the main port serves', async (t) => {
  const config = await createTestDatabase(t)
  const first = startServer({ DATABASE_URL: config.DATABASE_URL, ADMIN_PORT: '0' })
  t.teardown(() => first.kill('SIGKILL'))
  const [, admin] = await waitForOutput(first, /Admin server listening at (http:\/\/127\.0\.0\.1:\d+)/)
  const taken = new URL(admin).port

  const second = startServer({ DATABASE_URL: config.DATABASE_URL, ADMIN_PORT: taken })
  t.teardown(() => second.kill('SIGKILL'))
  t.equal(await second.exited, 1)
  t.match(second.output.stderr, /Lifeguard failed to start: .*EADDRINUSE/)
  t.notMatch(second.output.stdout, /Server listening at/, 'the main port never listened')
})
