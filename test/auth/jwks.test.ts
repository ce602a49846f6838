import http from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { buildTestApp } from '../helper'
import { problemOf } from '../fixtures/seed'
import { signingKey, signToken, type SigningKey } from '../support/tokens'

/** An identity provider's JWKS endpoint of the test's own, on loopback: it serves whatever keys the test sets. */
async function jwksServer(t: { teardown(fn: () => unknown): void }) {
  const state = { keys: [] as SigningKey[], fetches: 0, down: false }
  const server = http.createServer((request, response) => {
    state.fetches++
    if (state.down) {
      response.writeHead(503).end()
      return
    }
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: state.keys.map((key) => key.jwk) }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise((resolve) => server.close(resolve)))
  return { state, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json` }
}

const tokenFor = (key: SigningKey, claims: Record<string, unknown> = {}) =>
  ({ authorization: `Bearer ${signToken({ sub: 'ed', roles: ['editor'], ...claims }, { alg: key.alg, key: key.privateKey, kid: key.kid })}` })

const waitUntil = async (condition: () => boolean, timeoutMs = 5_000) => {
  const deadline = Date.now() + timeoutMs
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
}

t.test('RS256 and ES256 tokens verify against the JWKS; a rotated-in key is fetched; forged kids do not flood the provider', async (t) => {
  const idp = await jwksServer(t)
  const rsa = signingKey('rsa-1', 'RS256')
  const ec = signingKey('ec-1', 'ES256')
  idp.state.keys = [rsa, ec]
  const app = await buildTestApp(t, { AUTH_MODE: 'jwt', AUTH_JWKS_URL: idp.url, AUTH_JWKS_CACHE_MS: 1_000 })
  const create = (headers: Record<string, string>, name = 'N') => app.inject({ method: 'POST', url: '/authors', payload: { name }, headers })

  t.equal((await create(tokenFor(rsa))).statusCode, 201, 'RS256')
  t.equal((await create(tokenFor(ec))).statusCode, 201, 'ES256')
  t.equal(idp.state.fetches, 1, 'the key set was fetched once for both')

  // An HS256 token "signed" with the RSA public key as secret: the classic algorithm confusion.
  const confused = signToken({ sub: 'x', roles: ['admin'] }, { alg: 'HS256', key: String(rsa.jwk.n), kid: rsa.kid })
  problemOf(t, await create({ authorization: `Bearer ${confused}` }), 401)
  const unsigned = signToken({ sub: 'x', roles: ['admin'] }, { alg: 'none', kid: rsa.kid, signature: '' })
  problemOf(t, await create({ authorization: `Bearer ${unsigned}` }), 401)

  // Rotation: the provider adds a new key and drops the old one.
  const next = signingKey('rsa-2', 'RS256')
  idp.state.keys = [next, ec]
  await new Promise((resolve) => setTimeout(resolve, 1_100))
  t.equal((await create(tokenFor(next))).statusCode, 201, 'a token signed with the new key verifies after rotation')
  const fetchesAfterRotation = idp.state.fetches
  t.ok(fetchesAfterRotation >= 2, 'the set was fetched again')
  const oldKey = await create(tokenFor(rsa, { jti: 'after-rotation' }))
  problemOf(t, oldKey, 401)
  t.match(oldKey.headers['www-authenticate'], /error="invalid_token"/, 'a key the provider dropped no longer verifies')

  const forged = signingKey('forged', 'RS256')
  for (let i = 0; i < 20; i++) problemOf(t, await create(tokenFor({ ...forged, kid: `forged-${i}` })), 401)
  t.ok(idp.state.fetches - fetchesAfterRotation <= 2, `20 unknown kids cost at most 2 fetches (got ${idp.state.fetches - fetchesAfterRotation})`)
})

t.test('the provider down: known keys keep working; before any successful fetch, a 503, not a 401', async (t) => {
  const idp = await jwksServer(t)
  const key = signingKey('k', 'ES256')
  idp.state.keys = [key]
  idp.state.down = true
  const app = await buildTestApp(t, { AUTH_MODE: 'jwt', AUTH_JWKS_URL: idp.url, AUTH_JWKS_CACHE_MS: 500 })
  const create = () => app.inject({ method: 'POST', url: '/authors', payload: { name: 'N' }, headers: tokenFor(key) })
  const unavailable = problemOf(t, await create(), 503)
  t.equal(unavailable.type, 'https://lifeguard.dev/problems/authentication-unavailable')
  t.ok(Number((await create()).headers['retry-after']) >= 1, 'Retry-After')
  idp.state.down = false
  await waitUntil(() => false, 600)
  t.equal((await create()).statusCode, 201, 'once the provider answers, tokens verify')
  idp.state.down = true
  await waitUntil(() => false, 600)
  t.equal((await create()).statusCode, 201, 'the provider down again: the keys already fetched still verify')
})
