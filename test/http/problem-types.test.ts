import { readFile } from 'node:fs/promises'
import path from 'node:path'
import t from 'tap'
import { buildTestApp } from '../helper'
import { problemOf } from '../fixtures/seed'
import { PROBLEM_TYPES, isProblemSlug } from '../../src/http/problem-types'
import { problemForError } from '../../src/http/error-problems'
import { sendProblem } from '../../src/http/send-problem'
import { acquireTimeoutError, poolClosedError, queueFullError } from '../../src/pool/pool-errors'

const TYPE_BASE = 'https://lifeguard.dev/problems/'

t.test('the vocabulary: kebab-case slugs, an error status and a meaning each, the reserved ones included', async (t) => {
  for (const [slug, { status, meaning }] of Object.entries(PROBLEM_TYPES)) {
    t.match(slug, /^[a-z]+(-[a-z]+)*$/, `${slug} is kebab-case`)
    t.ok(status >= 400 && status < 600, `${slug} has an error status`)
    t.ok(meaning.length > 10, `${slug} says what it means`)
  }
  const reserved = {
    'precondition-required': 428,
    'method-not-allowed': 405,
    'bad-url': 400,
    'constraint-violated': 422,
    'invalid-value': 400,
    unauthorized: 401,
    forbidden: 403
  }
  for (const [slug, status] of Object.entries(reserved)) {
    t.ok(isProblemSlug(slug), `${slug} is in the table`)
    t.equal(PROBLEM_TYPES[slug as keyof typeof PROBLEM_TYPES]?.status, status, `${slug} is ${status}`)
  }
  t.notOk(isProblemSlug('ctp-body-too-large'), "no slug is made of Fastify's codes")
})

t.test('docs/rest.md documents every problem type', async (t) => {
  const doc = await readFile(path.join(__dirname, '..', '..', 'docs', 'rest.md'), 'utf8')
  const errors = doc.slice(doc.indexOf('## Errors'), doc.indexOf('\n## ', doc.indexOf('## Errors') + 1))
  for (const [slug, { status }] of Object.entries(PROBLEM_TYPES)) {
    // client-error has whichever 4xx was raised; the docs say so.
    const documented = slug === 'client-error' ? '4xx' : String(status)
    t.match(errors, new RegExp(`\\|\\s*${documented}\\s*\\|\\s*\`${slug}\``), `${documented} ${slug} has a row`)
  }
})

t.test("Fastify's own errors get Lifeguard's slugs", async (t) => {
  const app = await buildTestApp(t)
  app.get('/test/teapot', async () => {
    throw Object.assign(new Error('short and stout'), { statusCode: 418 })
  })
  app.get('/test/slow-down', async () => {
    throw Object.assign(new Error('too many'), { statusCode: 429, code: 'SOME_PLUGIN_CODE' })
  })
  const post = (payload: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    app.inject({ method: 'POST', url: '/authors', payload, headers })
  const patch = (payload: string) => app.inject({ method: 'PATCH', url: '/authors/1', payload, headers: { 'content-type': 'application/json' } })
  const cases: Array<[string, () => ReturnType<typeof post>, number, string]> = [
    ['a body over the limit', () => patch(JSON.stringify({ bio: 'x'.repeat(70 * 1024) })), 413, 'body-too-large'],
    ['a POST body over its larger limit', () => post(JSON.stringify({ name: 'big', bio: 'x'.repeat(4 * 1024 * 1024) })), 413, 'body-too-large'],
    ['an unknown content type', () => post('<author/>', { 'content-type': 'application/xml' }), 415, 'unsupported-media-type'],
    ['an empty JSON body', () => post(''), 400, 'invalid-body'],
    ['malformed JSON', () => post('{"name": '), 400, 'invalid-body'],
    ['a Content-Length that does not match', () => post('{}', { 'content-type': 'application/json', 'content-length': '10' }), 400, 'invalid-body'],
    ['a path parameter over maxParamLength', () => app.inject(`/books/${'1'.repeat(101)}`), 414, 'uri-too-long'],
    ['some other 4xx', () => app.inject('/test/teapot'), 418, 'client-error'],
    ["another plugin's 429", () => app.inject('/test/slow-down'), 429, 'too-many-requests']
  ]
  for (const [what, send, status, slug] of cases) {
    const body = problemOf(t, await send(), status)
    t.equal(body.type, TYPE_BASE + slug, what)
  }
})

t.test('anything unexpected is a 500 `internal` that says nothing more', async (t) => {
  const app = await buildTestApp(t)
  app.get('/test/broken', async () => {
    throw Object.assign(new Error('kaboom'), { code: 'ERR_SOMETHING_INTERNAL' })
  })
  const body = problemOf(t, await app.inject('/test/broken'), 500)
  t.equal(body.type, TYPE_BASE + 'internal')
  t.notMatch(body.detail, /kaboom/)
})

t.test("the pool's errors are 503 `pool-unavailable` with their retry hint", async (t) => {
  for (const error of [acquireTimeoutError(100), queueFullError(5), poolClosedError()]) {
    t.equal(error.code, 'LG_POOL_UNAVAILABLE', error.reason)
    t.match(problemForError(error), { slug: 'pool-unavailable', retryAfterSeconds: 1, detail: error.message, source: 'coded' })
  }
  t.same(
    [acquireTimeoutError(1), queueFullError(1), poolClosedError()].map((error) => error.reason),
    ['acquire_timeout', 'queue_full', 'closed']
  )
})

t.test('sendProblem takes a slug, and the status comes from the table', async (t) => {
  const app = await buildTestApp(t)
  app.get('/test/slug', async (_request, reply) => sendProblem(reply, 'database-busy', 'busy'))
  const slug = await app.inject('/test/slug')
  t.match(problemOf(t, slug, 503), { type: TYPE_BASE + 'database-busy', title: 'Service Unavailable' })
  t.equal(slug.headers['retry-after'], '1', 'every 503 carries Retry-After')
})
