import { mkdtemp, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import { buildTestApp } from '../helper'
import { countRows, problemOf, seedAuthors } from '../fixtures/seed'
import { bearer, nowSeconds, signToken, TEST_SECRET } from '../support/tokens'
import { loadConfig, ConfigError } from '../../src/config'
import { buildApp } from '../../src/app'
import { createTestDatabase } from '../helper'

const JWT = { AUTH_MODE: 'jwt' as const, AUTH_JWT_SECRET: TEST_SECRET }
const editorBody = { name: 'Ursula' }

t.test('no token: reads the rules open to anonymous callers, a 401 with a Bearer challenge for the rest', async (t) => {
  const app = await buildTestApp(t, JWT)
  await seedAuthors(app, [{ name: 'Le Guin' }])
  const read = await app.inject({ method: 'GET', url: '/authors' })
  t.equal(read.statusCode, 200, 'Author is readable by anonymous')
  const write = await app.inject({ method: 'POST', url: '/authors', payload: editorBody })
  const problem = problemOf(t, write, 401)
  t.equal(problem.type, 'https://lifeguard.dev/problems/unauthorized')
  t.equal(write.headers['www-authenticate'], 'Bearer realm="lifeguard"', 'no token: the plain challenge, no error code (RFC 6750 3.1)')
  t.equal(await countRows(app, 'authors'), 1, 'nothing written')
  const orders = await app.inject({ method: 'GET', url: '/orders' })
  problemOf(t, orders, 401)
})

t.test('a valid HS256 token: subject and roles from the token, the role claim configurable', async (t) => {
  const app = await buildTestApp(t, { ...JWT, AUTH_ROLES_CLAIM: 'realm_access.roles' })
  const nested = await app.inject({
    method: 'POST',
    url: '/authors',
    payload: editorBody,
    headers: { authorization: `Bearer ${signToken({ sub: 'ed', realm_access: { roles: ['editor'] } })}` }
  })
  t.equal(nested.statusCode, 201, 'roles read from the dotted claim')
  const flat = await app.inject({ method: 'POST', url: '/authors', payload: editorBody, headers: bearer('ed', ['editor']) })
  problemOf(t, flat, 403)
  t.notOk(flat.headers['www-authenticate'], 'a 403 carries no challenge: a new token would not help')
})

t.test('a space-separated roles string counts as roles, and "anonymous" cannot be claimed', async (t) => {
  const app = await buildTestApp(t, JWT)
  const spaced = await app.inject({
    method: 'POST',
    url: '/authors',
    payload: editorBody,
    headers: { authorization: `Bearer ${signToken({ sub: 'ed', roles: 'reader editor' })}` }
  })
  t.equal(spaced.statusCode, 201)
})

t.test('refused tokens: every one a 401 invalid_token, never a silent downgrade to anonymous', async (t) => {
  const app = await buildTestApp(t, { ...JWT, AUTH_JWT_ISSUER: 'https://id.example', AUTH_JWT_AUDIENCE: 'lifeguard,other', AUTH_CLOCK_SKEW_MS: 30_000 })
  await seedAuthors(app, [{ name: 'Le Guin' }])
  const good = { sub: 'u1', iss: 'https://id.example', aud: 'lifeguard' }
  const [header, payload] = signToken(good).split('.')
  const refused: Array<[string, string]> = [
    ['wrong secret', signToken(good, { key: 'another-secret-that-is-long-enough-for-hs256!!' })],
    ['expired beyond the skew', signToken({ ...good, exp: nowSeconds() - 120 })],
    ['not valid yet beyond the skew', signToken({ ...good, nbf: nowSeconds() + 120 })],
    ['alg none', signToken(good, { alg: 'none', signature: '' })],
    ['no exp', signToken({ ...good, exp: undefined })],
    ['wrong issuer', signToken({ ...good, iss: 'https://evil.example' })],
    ['wrong audience', signToken({ ...good, aud: 'someone-else' })],
    ['tampered payload', `${header}.${Buffer.from(JSON.stringify({ ...good, roles: ['admin'], exp: nowSeconds() + 600 })).toString('base64url')}.${signToken(good).split('.')[2]}`],
    ['garbage', 'not-a-jwt'],
    ['header only', `${header}.${payload}`]
  ]
  for (const [name, token] of refused) {
    // A GET anonymous callers may do: a bad token must still be refused, not ignored.
    const response = await app.inject({ method: 'GET', url: '/authors', headers: { authorization: `Bearer ${token}` } })
    problemOf(t, response, 401)
    t.match(response.headers['www-authenticate'], /^Bearer realm="lifeguard", error="invalid_token", error_description="[^"]+"$/, name)
  }
  const scheme = await app.inject({ method: 'GET', url: '/authors', headers: { authorization: 'Basic dTpw' } })
  problemOf(t, scheme, 401)
  t.match(scheme.headers['www-authenticate'], /error="invalid_request"/, 'another scheme is an invalid request')
  const accepted: Array<[string, string]> = [
    ['expired within the skew', signToken({ ...good, exp: nowSeconds() - 10 })],
    ['not-before within the skew', signToken({ ...good, nbf: nowSeconds() + 10 })],
    ['the second audience', signToken({ ...good, aud: 'other' })],
    ['HS512', signToken(good, { alg: 'HS512' })]
  ]
  for (const [name, token] of accepted) {
    const response = await app.inject({ method: 'GET', url: '/authors', headers: { authorization: `Bearer ${token}` } })
    t.equal(response.statusCode, 200, name)
  }
})

t.test('the secret may come from a file; a missing key source or an unreadable file is a config error naming it', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'lg-secret-'))
  const file = path.join(dir, 'jwt-secret')
  await writeFile(file, TEST_SECRET + '\n')
  const config = await createTestDatabase(t)
  const app = await buildApp({ ...config, AUTH_MODE: 'jwt', AUTH_JWT_SECRET_FILE: file })
  t.teardown(() => app.close())
  const response = await app.inject({ method: 'POST', url: '/authors', payload: editorBody, headers: bearer('ed', ['editor']) })
  t.equal(response.statusCode, 201, 'a token signed with the file\'s secret (its trailing newline dropped) verifies')

  const env = { DATABASE_URL: config.DATABASE_URL, AUTH_MODE: 'jwt' }
  t.throws(() => loadConfig(env), /AUTH_MODE=jwt needs exactly one of AUTH_JWT_SECRET, AUTH_JWT_SECRET_FILE, AUTH_JWKS_URL \(got none\)/)
  t.throws(() => loadConfig({ ...env, AUTH_JWT_SECRET: TEST_SECRET, AUTH_JWKS_URL: 'http://127.0.0.1:1/jwks' }), /got AUTH_JWT_SECRET, AUTH_JWKS_URL/)
  t.throws(() => loadConfig({ ...env, AUTH_JWT_SECRET_FILE: path.join(dir, 'missing') }), /AUTH_JWT_SECRET_FILE cannot be read: ENOENT/)
  await writeFile(path.join(dir, 'short'), 'short')
  const short = (() => {
    try {
      loadConfig({ ...env, AUTH_JWT_SECRET_FILE: path.join(dir, 'short') })
    } catch (err) {
      return err as Error
    }
  })()
  t.ok(short instanceof ConfigError, 'a ConfigError')
  t.match(short?.message, /at least 32 characters/)
  t.notMatch(short?.message, /short\b(?!\))/, 'the secret itself is not echoed')
  t.throws(() => loadConfig({ ...env, AUTH_JWT_SECRET: 'too-short' }), /AUTH_JWT_SECRET must be a string/)
  t.equal(loadConfig({ ...env, AUTH_JWT_SECRET: TEST_SECRET }).AUTH_MODE, 'jwt')
})

t.test('AUTH_MODE=off on a non-loopback HOST warns loudly at start; on loopback it does not', async (t) => {
  const config = await createTestDatabase(t)
  for (const [host, warns] of [['0.0.0.0', true], ['127.0.0.1', false]] as const) {
    const lines: string[] = []
    const app = await buildApp({ ...config, HOST: host, LOG_LEVEL: 'warn' }, { logStream: { write: (line) => lines.push(line) } })
    await app.close()
    const warning = lines.map((line) => JSON.parse(line)).find((entry) => /AUTHENTICATION IS OFF/.test(entry.msg))
    t.equal(warning !== undefined, warns, `HOST=${host}`)
    if (warning) t.equal(warning.level, 40, 'at warn level')
  }
})

t.test('tokens never reach the log', async (t) => {
  const lines: string[] = []
  const config = await createTestDatabase(t)
  const app = await buildApp({ ...config, ...JWT, LOG_LEVEL: 'trace' }, { logStream: { write: (line) => lines.push(line) } })
  t.teardown(() => app.close())
  const headers = bearer('ed', ['editor'])
  const forged = `Bearer ${signToken({ sub: 'x' }, { key: 'another-secret-that-is-long-enough-for-hs256!!' })}`
  await app.inject({ method: 'POST', url: '/authors', payload: editorBody, headers })
  await app.inject({ method: 'GET', url: '/authors', headers: { authorization: forged } })
  const log = lines.join('\n')
  t.ok(lines.length > 0, 'trace logging wrote lines')
  for (const secret of [headers.authorization.slice(7), forged.slice(7), TEST_SECRET]) {
    t.notOk(log.includes(secret.split('.')[2] ?? secret), 'no token signature or secret in the log')
  }
})

t.test('rate limits count per token subject: two callers behind one address have a budget each', async (t) => {
  const app = await buildTestApp(t, { ...JWT, RATE_LIMIT_MAX: 2 })
  const get = (headers: Record<string, string>) => app.inject({ method: 'GET', url: '/authors', headers, remoteAddress: '198.51.100.7' })
  const alice = bearer('alice')
  const bob = bearer('bob')
  t.same([(await get(alice)).statusCode, (await get(alice)).statusCode, (await get(alice)).statusCode], [200, 200, 429])
  t.same([(await get(bob)).statusCode, (await get(bob)).statusCode], [200, 200], "alice's budget is not bob's")
  t.equal((await get({})).statusCode, 200, 'an anonymous caller is counted by address')
})

t.test('with ADMIN_TOKEN too, the admin surface takes its own token (not a JWT) and API routes still take JWTs', async (t) => {
  const app = await buildTestApp(t, { ...JWT, ADMIN_TOKEN: 'operator-token' })
  const metrics = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer operator-token' } })
  t.equal(metrics.statusCode, 200, 'the admin token is not refused as a malformed JWT')
  const jwtOnMetrics = await app.inject({ method: 'GET', url: '/metrics', headers: bearer('ada', ['admin']) })
  t.equal(jwtOnMetrics.statusCode, 401, 'a JWT is not the admin token')
  t.equal((await app.inject({ method: 'POST', url: '/authors', payload: editorBody, headers: bearer('ed', ['editor']) })).statusCode, 201)
  problemOf(t, await app.inject({ method: 'GET', url: '/authors', headers: { authorization: 'Bearer operator-token' } }), 401)
})

t.test('OpenAPI with AUTH_MODE=jwt: a bearer scheme, security per route from the rules, 401/403 responses; valid 3.0', async (t) => {
  const { Validator } = await import('@seriousme/openapi-schema-validator')
  const app = await buildTestApp(t, JWT)
  const document = (await app.inject({ method: 'GET', url: '/openapi.json' })).json()
  t.same(document.components.securitySchemes, { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } })
  const optional = [{}, { bearerAuth: [] }]
  const required = [{ bearerAuth: [] }]
  t.same(document.paths['/books'].get.security, optional, 'anonymous may list books: the token is optional')
  t.same(document.paths['/books'].post.security, required, 'creating a book needs one')
  t.same(document.paths['/orders'].post.security, required, 'the hand-written POST /orders follows Order\'s rules')
  t.same(document.paths['/orders/{id}'].get.security, required)
  for (const status of ['401', '403']) t.ok(document.paths['/books/{id}'].delete.responses[status], `DELETE documents ${status}`)
  t.ok(document.paths['/books/{id}'].delete.responses['401'].headers['www-authenticate'], '401 documents WWW-Authenticate')
  t.notOk(document.paths['/health/ready'].get.security, 'health is not secured')
  const validator = new Validator({ allErrors: true })
  const result = await validator.validate(structuredClone(document))
  t.ok(result.valid, JSON.stringify(result.errors ?? []).slice(0, 500))

  const off = await buildTestApp(t)
  const plain = (await off.inject({ method: 'GET', url: '/openapi.json' })).json()
  t.notOk(plain.components.securitySchemes, 'AUTH_MODE=off: no scheme')
  t.notOk(plain.paths['/books'].post.security, 'and no security on routes')
})

t.test('a remembered token is not trusted past its exp: the same token is refused once it expires', async (t) => {
  const app = await buildTestApp(t, { ...JWT, AUTH_CLOCK_SKEW_MS: 0 })
  // Five seconds of life (at least four, exp being whole seconds): the first requests of a fresh app on a busy machine take one or more.
  const headers = { authorization: `Bearer ${signToken({ sub: 'ed', roles: ['editor'], exp: nowSeconds() + 5 })}` }
  const create = () => app.inject({ method: 'POST', url: '/authors', payload: editorBody, headers })
  t.equal((await create()).statusCode, 201, 'verified')
  t.equal((await create()).statusCode, 201, 'remembered')
  const deadline = Date.now() + 9_000
  let status = 201
  while (status === 201 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250))
    status = (await create()).statusCode
  }
  t.equal(status, 401, 'refused after exp, though it was remembered')
  const refused = await create()
  t.match(refused.headers['www-authenticate'], /the token has expired/)
})
