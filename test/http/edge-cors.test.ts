import { existsSync } from 'node:fs'
import t, { type Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import { buildTestApp, createTestDatabase } from '../helper'
import { problemOf } from '../fixtures/seed'
import { buildApp } from '../../src/app'
import { loadConfig } from '../../src/config'
import { CORS_ALLOWED_HEADERS, CORS_EXPOSED_HEADERS, parseCorsOrigins } from '../../src/http/cors'
import { CHROMIUM_PATH, launchChromium, listenOnLoopback, serveHtml } from './edge-support'

const ALLOWED = 'https://app.example'

function preflight(app: FastifyInstance, origin: string, requestHeaders = 'authorization,if-none-match') {
  return app.inject({
    method: 'OPTIONS',
    url: '/books',
    headers: { origin, 'access-control-request-method': 'PATCH', 'access-control-request-headers': requestHeaders }
  })
}

function corsHeadersOf(headers: Record<string, unknown>): string[] {
  return Object.keys(headers).filter((name) => name.startsWith('access-control-'))
}

async function seedBooks(t: Test, app: FastifyInstance, count: number) {
  const author = await app.inject({ method: 'POST', url: '/authors', payload: { name: 'Cross Origin' } })
  t.equal(author.statusCode, 201)
  for (let i = 0; i < count; i++) {
    const book = await app.inject({
      method: 'POST',
      url: '/books',
      payload: { title: `Book ${i}`, isbn: `978-000000000${i}`, price: 5, stock: 1, authorId: author.json().id }
    })
    t.equal(book.statusCode, 201)
  }
}

t.test('CORS_ORIGINS unset: no CORS headers at all, and OPTIONS is no route', async (t) => {
  const app = await buildTestApp(t)
  const get = await app.inject({ url: '/books', headers: { origin: ALLOWED } })
  t.same(corsHeadersOf(get.headers), [], 'none on a request')
  const options = await preflight(app, ALLOWED)
  t.same(corsHeadersOf(options.headers), [], 'none on a preflight')
  problemOf(t, options, 405)
})

t.test('an allowed origin: echoed, with the exposed and allowed headers, methods and max-age', async (t) => {
  const app = await buildTestApp(t, { CORS_ORIGINS: `${ALLOWED}, http://localhost:5173` })
  const answer = await preflight(app, ALLOWED)
  t.equal(answer.statusCode, 204)
  t.equal(answer.headers['access-control-allow-origin'], ALLOWED)
  t.equal(answer.headers['access-control-allow-methods'], 'GET, HEAD, POST, PUT, PATCH, DELETE')
  t.same(String(answer.headers['access-control-allow-headers']).split(', '), CORS_ALLOWED_HEADERS)
  for (const name of ['Authorization', 'Content-Type', 'If-Match', 'If-None-Match', 'Prefer', 'Idempotency-Key']) {
    t.ok(CORS_ALLOWED_HEADERS.includes(name), `${name} may be sent`)
  }
  t.equal(answer.headers['access-control-max-age'], '600')
  t.notOk('access-control-allow-credentials' in answer.headers, 'no credentials by default')
  t.match(answer.headers.vary, /Origin/, 'caches keep answers per Origin')

  const get = await app.inject({ url: '/books?totalCount=true', headers: { origin: 'http://localhost:5173' } })
  t.equal(get.statusCode, 200)
  t.equal(get.headers['access-control-allow-origin'], 'http://localhost:5173', 'the second origin of the list')
  const exposed = String(get.headers['access-control-expose-headers']).split(', ')
  t.same(exposed, CORS_EXPOSED_HEADERS)
  for (const name of ['ETag', 'Link', 'Location', 'X-Total-Count', 'Retry-After', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'RateLimit-Policy']) {
    t.ok(exposed.includes(name), `${name} is readable cross-origin`)
  }
})

t.test('a disallowed origin gets no CORS header, preflight or not', async (t) => {
  const app = await buildTestApp(t, { CORS_ORIGINS: ALLOWED })
  for (const origin of ['https://evil.example', 'https://app.example.evil.example', 'http://app.example', 'null']) {
    const answer = await preflight(app, origin)
    t.same(corsHeadersOf(answer.headers), [], `no allow headers for a preflight from ${origin}`)
    t.not(answer.statusCode, 204, 'and no preflight success')
    const get = await app.inject({ url: '/books', headers: { origin } })
    t.same(corsHeadersOf(get.headers), [], `none on a GET from ${origin}`)
  }
  const sameOrigin = await app.inject('/books')
  t.same(corsHeadersOf(sameOrigin.headers), [], 'none without an Origin')
})

t.test('CORS_CREDENTIALS=true adds Allow-Credentials for listed origins only', async (t) => {
  const app = await buildTestApp(t, { CORS_ORIGINS: ALLOWED, CORS_CREDENTIALS: true })
  t.equal((await preflight(app, ALLOWED)).headers['access-control-allow-credentials'], 'true')
  t.notOk('access-control-allow-credentials' in (await preflight(app, 'https://evil.example')).headers)
})

t.test('CORS_ORIGINS=* allows any origin without credentials, and refuses to start with them', async (t) => {
  const app = await buildTestApp(t, { CORS_ORIGINS: '*' })
  const answer = await preflight(app, 'https://anyone.example')
  t.equal(answer.statusCode, 204)
  t.equal(answer.headers['access-control-allow-origin'], '*')
  const config = { ...(await createTestDatabase(t, { migrate: false })), CORS_ORIGINS: '*', CORS_CREDENTIALS: true }
  await t.rejects(buildApp(config), /CORS_ORIGINS=\* cannot be combined with CORS_CREDENTIALS=true/)
})

t.test('CORS_ORIGINS is read as a browser writes Origin', async (t) => {
  t.same(parseCorsOrigins('HTTPS://App.Example:443, http://127.0.0.1:8080'), ['https://app.example', 'http://127.0.0.1:8080'])
  t.equal(parseCorsOrigins(' * '), '*')
  t.same(parseCorsOrigins(''), [])
  t.throws(() => loadConfig({ CORS_ORIGINS: 'https://app.example/' }), /CORS_ORIGINS must be/, 'a path never matches: refused')
  t.throws(() => loadConfig({ CORS_ORIGINS: 'app.example' }), /CORS_ORIGINS must be/, 'an origin has a scheme')
  t.throws(() => loadConfig({ CORS_ORIGINS: '*,https://app.example' }), /CORS_ORIGINS must be/, '* stands alone')
})

t.test('in Chromium: a page on an allowed origin reads X-Total-Count after a preflight; another origin is blocked', async (t) => {
  t.ok(existsSync(CHROMIUM_PATH), `Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH)`)
  const allowedSite = await serveHtml('<!doctype html><title>allowed</title>')
  t.teardown(() => allowedSite.close())
  const otherSite = await serveHtml('<!doctype html><title>other</title>')
  t.teardown(() => otherSite.close())
  const app = await buildTestApp(t, { CORS_ORIGINS: allowedSite.origin })
  const seen: string[] = []
  app.server.on('request', (request) => seen.push(`${request.method} ${request.headers.origin ?? '-'}`))
  await seedBooks(t, app, 2)
  const port = await listenOnLoopback(app)
  const url = `http://localhost:${port}/books?totalCount=true`

  const browser = await launchChromium()
  t.teardown(() => browser.close())
  const page = await browser.newPage()
  // A non-safelisted header: the browser must ask (preflight) before it sends the GET.
  const crossOriginFetch = (target: string) =>
    page.evaluate(async (target) => {
      try {
        const response = await fetch(target, { headers: { 'If-None-Match': '"nothing"' } })
        const body: any = await response.json()
        return { ok: true, status: response.status, total: response.headers.get('X-Total-Count'), rows: body.length, error: '' }
      } catch (err) {
        return { ok: false, status: 0, total: null, rows: 0, error: String(err) }
      }
    }, target)

  await page.goto(allowedSite.origin)
  const allowed = await crossOriginFetch(url)
  t.same(allowed, { ok: true, status: 200, total: '2', rows: 2, error: '' }, 'the allowed page read the list and X-Total-Count')
  t.same(
    seen.filter((line) => line.endsWith(allowedSite.origin)),
    [`OPTIONS ${allowedSite.origin}`, `GET ${allowedSite.origin}`],
    'Chromium sent a preflight, then the GET'
  )

  await page.goto(otherSite.origin)
  const blocked = await crossOriginFetch(url)
  t.equal(blocked.ok, false, `the other origin's fetch fails in the browser (${blocked.error})`)
  t.match(blocked.error, /TypeError/)
  t.same(
    seen.filter((line) => line.endsWith(otherSite.origin)),
    [`OPTIONS ${otherSite.origin}`],
    'its preflight was refused, so the GET was never sent'
  )
})
