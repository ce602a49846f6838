import t from 'tap'
import { randomBytes } from 'node:crypto'
import { buildTestApp, createTestDatabase } from '../helper'
import { listeningUrl, startServer } from '../support/server-process'
import { bearerTokenCheck } from '../../src/http/admin-token'

const UNAUTHORIZED = 'https://lifeguard.dev/problems/unauthorized'

t.test('ADMIN_TOKEN: /metrics and /docs need the Bearer token, health and the API do not', async (t) => {
  const config = await createTestDatabase(t)
  const token = randomBytes(24).toString('base64url')
  const child = startServer({ DATABASE_URL: config.DATABASE_URL, ADMIN_TOKEN: token, LOG_LEVEL: 'trace' })
  t.teardown(() => child.kill('SIGKILL'))
  const base = await listeningUrl(child)

  for (const path of ['/metrics', '/docs/', '/docs/json', '/openapi.json']) {
    const anonymous = await fetch(`${base}${path}`)
    t.equal(anonymous.status, 401, `${path} without a token`)
    t.equal(anonymous.headers.get('www-authenticate'), 'Bearer realm="lifeguard-admin"')
    t.match(anonymous.headers.get('content-type'), /^application\/problem\+json/)
    t.match(await anonymous.json(), { type: UNAUTHORIZED, status: 401, title: 'Unauthorized', detail: /Authorization: Bearer/ })

    const wrong = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}x` } })
    t.equal(wrong.status, 401, `${path} with a wrong token`)
    t.equal(wrong.headers.get('www-authenticate'), 'Bearer realm="lifeguard-admin", error="invalid_token"')
    await wrong.arrayBuffer()

    const basic = await fetch(`${base}${path}`, { headers: { authorization: `Basic ${Buffer.from(`admin:${token}`).toString('base64')}` } })
    t.equal(basic.status, 401, `${path} with another scheme`)
    await basic.arrayBuffer()

    const right = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } })
    t.equal(right.status, 200, `${path} with the token`)
    await right.arrayBuffer()
  }
  const metrics = await fetch(`${base}/metrics`, { headers: { authorization: `bearer ${token}` } })
  t.equal(metrics.status, 200, 'the scheme is case-insensitive')
  t.match(await metrics.text(), /db_pool_connections_max/)

  for (const path of ['/health/live', '/health/ready', '/authors?limit=1']) {
    const res = await fetch(`${base}${path}`)
    t.equal(res.status, 200, `${path} needs no token`)
    await res.arrayBuffer()
  }

  child.kill('SIGTERM')
  t.equal(await child.exited, 0)
  t.notMatch(child.output.stdout + child.output.stderr, token, 'the token is in no log line, even at trace level')
})

t.test('ADMIN_PORT and ADMIN_TOKEN together: the admin port asks for the token too', async (t) => {
  const token = randomBytes(24).toString('hex')
  const app = await buildTestApp(t, { ADMIN_PORT: 0, ADMIN_TOKEN: token })
  const admin = await app.listenAdmin()
  await t.rejects(app.listenAdmin(), /already listening/, 'one admin listener per app')

  t.equal((await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${token}` } })).statusCode, 404, 'not on the main port, even with the token')
  const anonymous = await fetch(`${admin}/metrics`)
  t.equal(anonymous.status, 401)
  await anonymous.arrayBuffer()
  const right = await fetch(`${admin}/metrics`, { headers: { authorization: `Bearer ${token}` } })
  t.equal(right.status, 200)
  await right.arrayBuffer()
  const probe = await fetch(`${admin}/health/ready`)
  t.equal(probe.status, 200, 'health on the admin port needs no token either')
  await probe.arrayBuffer()
})

t.test('without ADMIN_PORT there is no admin listener to start', async (t) => {
  const app = await buildTestApp(t)
  await t.rejects(app.listenAdmin(), /needs ADMIN_PORT/)
  t.equal((await app.inject('/metrics')).statusCode, 200, 'and /metrics is on the main port, open, as by default')
})

t.test('the token check', async (t) => {
  const check = bearerTokenCheck('s3cret-token')
  t.equal(check('Bearer s3cret-token'), 'ok')
  t.equal(check('BEARER s3cret-token '), 'ok', 'scheme in any case, trailing space')
  t.equal(check(undefined), 'missing')
  t.equal(check(''), 'missing')
  t.equal(check('Bearer'), 'missing')
  t.equal(check('Token s3cret-token'), 'missing', 'another scheme is no bearer credential')
  t.equal(check('Bearer s3cret-toke'), 'invalid', 'a prefix of the token')
  t.equal(check('Bearer s3cret-token-and-more'), 'invalid', 'the token and more')
  t.equal(check('Bearer s3cret-token extra'), 'missing', 'two words are not one token')
})
