import http from 'node:http'
import t from 'tap'
import { buildTestApp } from '../helper'
import { problemOf } from '../fixtures/seed'
import { hostAllowed, hostRule, normaliseHost } from '../../src/http/host-check'
import { listenOnLoopback, poolBorrows } from './edge-support'

const TYPE_BASE = 'https://lifeguard.dev/problems/'

t.test('the default follows HOST: loopback names only on a loopback address, any name elsewhere', async (t) => {
  for (const listen of ['127.0.0.1', '127.0.0.2', 'localhost', '::1', '[::1]']) {
    const rule = hostRule(undefined, listen)
    t.notOk(rule.any, `bound to ${listen}: restricted`)
    for (const host of ['localhost', 'localhost:3000', '127.0.0.1:3000', '[::1]:3000', 'LOCALHOST']) {
      t.ok(hostAllowed(rule, host), `${listen} answers ${host}`)
    }
    for (const host of ['evil.example', 'evil.example:3000', '127.0.0.1.nip.io', undefined, '']) {
      t.notOk(hostAllowed(rule, host), `${listen} refuses ${host}`)
    }
  }
  for (const listen of ['0.0.0.0', '::', '10.1.2.3']) {
    t.ok(hostRule(undefined, listen).any, `bound to ${listen}: any Host (probes use pod IPs)`)
  }
})

t.test('ALLOWED_HOSTS: exact names, .suffixes, *, ports and case ignored', async (t) => {
  const rule = hostRule(' api.example.com, .internal.example ,10.0.0.7, ::1', '0.0.0.0')
  for (const host of ['api.example.com', 'API.example.com:443', 'api.example.com.', 'internal.example', 'a.b.internal.example:8080', '10.0.0.7:3000', '[::1]']) {
    t.ok(hostAllowed(rule, host), `allows ${host}`)
  }
  for (const host of ['example.com', 'xapi.example.com', 'evilinternal.example', 'localhost', '10.0.0.8', undefined]) {
    t.notOk(hostAllowed(rule, host), `refuses ${host}`)
  }
  t.ok(hostRule('*', '127.0.0.1').any, '* allows any, even on loopback')
  t.equal(normaliseHost('[::1]:3000'), '[::1]')
  t.equal(normaliseHost('::1'), '[::1]')
})

t.test('a refused Host is a 421 problem before routing, validation or the pool', async (t) => {
  const app = await buildTestApp(t)
  const borrowsBefore = await poolBorrows(app)
  const cases = [
    { method: 'GET' as const, url: '/books' },
    { method: 'GET' as const, url: '/books/1' },
    { method: 'POST' as const, url: '/authors', payload: { name: 'Rebound' } },
    { method: 'GET' as const, url: '/no/such/route' },
    { method: 'GET' as const, url: '/health/ready' },
    { method: 'GET' as const, url: '/metrics' }
  ]
  for (const request of cases) {
    const response = await app.inject({ ...request, headers: { host: 'rebind.evil.example:3000' } })
    const body = problemOf(t, response, 421)
    t.match(body, { type: TYPE_BASE + 'host-not-allowed', title: 'Misdirected Request' }, `${request.method} ${request.url}`)
    t.equal(response.headers['x-content-type-options'], 'nosniff', 'with the security headers')
  }
  t.equal(await poolBorrows(app), borrowsBefore, 'no connection borrowed for any of them')
  t.same((await app.inject('/authors?where.name.eq=Rebound')).json(), [], 'nothing written')
  t.ok((await poolBorrows(app)) > borrowsBefore, 'an allowed Host does reach the pool')
})

t.test('over a real socket: the names a local browser sends pass, a rebinding name does not', async (t) => {
  const app = await buildTestApp(t)
  const port = await listenOnLoopback(app)
  // node:http, not fetch: fetch always sends the URL's authority as Host, as a browser does.
  const live = (host: string) =>
    new Promise<{ status: number; type: string }>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path: '/health/live', headers: { host } }, (response) => {
          response.resume()
          response.on('end', () => resolve({ status: response.statusCode ?? 0, type: String(response.headers['content-type']) }))
        })
        .on('error', reject)
    })
  t.equal((await fetch(`http://127.0.0.1:${port}/health/live`)).status, 200, 'fetch from 127.0.0.1:<port>')
  t.equal((await fetch(`http://localhost:${port}/health/live`)).status, 200, 'fetch from localhost:<port>')
  t.equal((await live(`[::1]:${port}`)).status, 200, '[::1]:<port>')
  const refused = await live(`attacker.example:${port}`)
  t.equal(refused.status, 421, 'a rebinding name')
  t.match(refused.type, /^application\/problem\+json/)
})

t.test('ALLOWED_HOSTS configured: health probes must send one of the names too', async (t) => {
  const app = await buildTestApp(t, { HOST: '0.0.0.0', ALLOWED_HOSTS: 'api.example.com' })
  t.equal((await app.inject({ url: '/health/live', headers: { host: 'api.example.com' } })).statusCode, 200)
  t.equal((await app.inject({ url: '/health/live', headers: { host: '10.1.2.3:3000' } })).statusCode, 421, 'a pod IP is refused once names are listed')
})

t.test('bound to a non-loopback address with ALLOWED_HOSTS unset, any Host is served', async (t) => {
  const app = await buildTestApp(t, { HOST: '0.0.0.0' })
  t.equal((await app.inject({ url: '/health/live', headers: { host: '10.1.2.3:3000' } })).statusCode, 200)
  t.equal((await app.inject({ url: '/health/live', headers: { host: 'whatever.example' } })).statusCode, 200)
})
