import { existsSync } from 'node:fs'
import t from 'tap'
import { buildTestApp } from '../helper'
import { problemOf } from '../fixtures/seed'
import { loadConfig } from '../../src/config'
import { CHROMIUM_PATH, launchChromium, listenOnLoopback } from './edge-support'

/** What helmet puts on the /docs page (an HTML document) besides its CSP. */
const DOCUMENT_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin'
}

/** A JSON response is never a document: a CSP that allows nothing and nosniff, and no other header of helmet's. */
const DOCUMENT_ONLY = Object.keys(DOCUMENT_HEADERS).filter((name) => name !== 'x-content-type-options')

t.test('JSON responses, errors included, carry the security headers and a CSP that allows nothing', async (t) => {
  const app = await buildTestApp(t)
  const responses = {
    list: await app.inject('/books'),
    missing: await app.inject('/books/999999'),
    health: await app.inject('/health/live'),
    document: await app.inject('/openapi.json')
  }
  problemOf(t, responses.missing, 404)
  for (const [what, response] of Object.entries(responses)) {
    t.equal(response.headers['x-content-type-options'], 'nosniff', `${what}: nosniff`)
    for (const name of DOCUMENT_ONLY) t.notOk(name in response.headers, `${what}: no ${name} (a header for documents)`)
    t.equal(
      response.headers['content-security-policy'],
      "default-src 'none';base-uri 'none';form-action 'none';frame-ancestors 'none'",
      `${what}: nothing may load, run or frame it`
    )
    t.notOk('strict-transport-security' in response.headers, `${what}: no HSTS unless configured`)
  }
})

t.test('HSTS_MAX_AGE_SECONDS turns Strict-Transport-Security on, for this host only', async (t) => {
  t.equal(loadConfig({}).HSTS_MAX_AGE_SECONDS, 0, 'off by default')
  const app = await buildTestApp(t, { HSTS_MAX_AGE_SECONDS: 15_552_000 })
  t.equal((await app.inject('/books')).headers['strict-transport-security'], 'max-age=15552000')
  t.equal((await app.inject('/docs/')).headers['strict-transport-security'], 'max-age=15552000')
})

t.test('/docs gets the policy Swagger UI needs, and no more', async (t) => {
  const app = await buildTestApp(t)
  for (const url of ['/docs', '/docs/', '/docs/static/swagger-ui-bundle.js', '/docs/json']) {
    const response = await app.inject(url)
    t.ok(response.statusCode < 400, `${url} answers ${response.statusCode}`)
    const csp = String(response.headers['content-security-policy'])
    t.match(csp, /default-src 'self'/, `${url}: same-origin resources`)
    t.match(csp, /script-src 'self'(;|$)/, `${url}: no inline or eval'd script`)
    t.notMatch(csp, /script-src[^;]*unsafe|unsafe-eval|upgrade-insecure-requests/, `${url}: no unsafe script, no forced https`)
    t.match(csp, /style-src 'self' 'unsafe-inline'/, `${url}: the one <style> Swagger UI inserts`)
    t.match(csp, /object-src 'none'/)
    t.match(response.headers, DOCUMENT_HEADERS)
  }
})

t.test('in Chromium, /docs renders every operation with no CSP violation or console error', async (t) => {
  t.ok(existsSync(CHROMIUM_PATH), `Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH)`)
  const app = await buildTestApp(t)
  const port = await listenOnLoopback(app)
  const document = (await app.inject('/openapi.json')).json()
  const operations = Object.values<Record<string, unknown>>(document.paths).flatMap((item) =>
    Object.keys(item).filter((method) => ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'].includes(method))
  )
  t.ok(operations.length >= 10, `the document has its operations (${operations.length})`)

  const browser = await launchChromium()
  t.teardown(() => browser.close())
  const page = await browser.newPage()
  const errors: string[] = []
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text())
  })
  page.on('pageerror', (err) => errors.push(String(err)))
  // Registered before any of the page's scripts run, so a violation by the first of them counts.
  await page.addInitScript(() => {
    const w = globalThis as any
    w.cspViolations = []
    w.document.addEventListener('securitypolicyviolation', (event: any) =>
      w.cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI || 'inline'}`)
    )
  })
  const response = await page.goto(`http://127.0.0.1:${port}/docs/`)
  t.match(response?.headers()['content-security-policy'], /script-src 'self'/, 'the page was served under its CSP')
  await page.waitForSelector('.opblock', { timeout: 20_000 })
  // Swagger UI renders tag by tag; wait until every operation is on the page.
  await page.waitForFunction((expected) => (globalThis as any).document.querySelectorAll('.opblock').length >= expected, operations.length, {
    timeout: 20_000
  })
  t.equal(await page.locator('.opblock').count(), operations.length, 'one block per operation')
  t.ok(await page.locator('.opblock-summary-path', { hasText: '/books/{id}' }).count(), 'the entity routes are drawn')
  // Expanding an operation renders its schemas and examples, where inline styles and icons live.
  await page.locator('.opblock-summary').first().click()
  await page.waitForSelector('.opblock-body', { timeout: 10_000 })
  t.same(await page.evaluate(() => (globalThis as any).cspViolations), [], 'no CSP violation')
  t.same(errors, [], 'no console errors')
})
