import t from 'tap'
import { demoApp } from '../fixtures/demo-app'
import { preferencesOf } from '../../src/rest/prefer'

t.test('Prefer is read as RFC 7240 writes it', async (t) => {
  t.same([...preferencesOf('return=minimal')], [['return', 'minimal']])
  t.same([...preferencesOf(['respond-async, RETURN="minimal"; foo=bar', 'wait=10'])], [['respond-async', ''], ['return', 'minimal'], ['wait', '10']], 'several headers, parameters, quotes, case')
  t.same([...preferencesOf('return=minimal, return=representation')], [['return', 'minimal']], 'the first of a repeated preference counts')
  t.same([...preferencesOf(', ,')], [], 'empty parts are nothing')
})

t.test('Prefer: return=minimal answers every write without the row', async (t) => {
  const app = await demoApp(t)
  const minimal = { prefer: 'return=minimal' }
  const book = { title: 'Matter', isbn: '978-0999000701', price: 9.5, authorId: 5 }

  const created = await app.inject({ method: 'POST', url: '/books', headers: minimal, payload: book })
  t.equal(created.statusCode, 201)
  t.equal(created.body, '', 'no body')
  t.equal(created.headers['preference-applied'], 'return=minimal')
  t.equal(created.headers.etag, '"1"')
  t.match(created.headers.location, /^\/books\/\d+$/)
  const stored = (await app.inject(String(created.headers.location))).json()
  t.match(stored, book, 'written all the same')

  const patched = await app.inject({ method: 'PATCH', url: String(created.headers.location), headers: { ...minimal, 'if-match': '"1"' }, payload: { stock: 4 } })
  t.equal(patched.statusCode, 204)
  t.equal(patched.body, '')
  t.equal(patched.headers.etag, '"2"', 'the new ETag, to write again with')
  t.equal(patched.headers['preference-applied'], 'return=minimal')
  const replaced = await app.inject({ method: 'PUT', url: String(created.headers.location), headers: { prefer: 'respond-async, return=minimal; x=1' }, payload: { ...book, stock: 5 } })
  t.equal(replaced.statusCode, 204)
  t.equal(replaced.headers.etag, '"3"')
  t.equal((await app.inject(String(created.headers.location))).json().stock, 5)

  const bulk = await app.inject({ method: 'POST', url: '/books', headers: minimal, payload: [{ ...book, isbn: '978-0999000702' }, { ...book, isbn: '978-0999000703' }] })
  t.equal(bulk.statusCode, 201)
  t.equal(bulk.body, '')
  t.equal(Number((await app.db.query("SELECT COUNT(*) AS n FROM books WHERE isbn IN ('978-0999000702', '978-0999000703')"))[0].n), 2)

  const full = await app.inject({ method: 'PATCH', url: String(created.headers.location), headers: { prefer: 'return=representation' }, payload: { stock: 6 } })
  t.equal(full.statusCode, 200)
  t.equal(full.json().stock, 6, 'return=representation (the default) answers with the row')
  t.equal(full.headers['preference-applied'], undefined)
  const unknown = await app.inject({ method: 'PATCH', url: String(created.headers.location), headers: { prefer: 'handling=strict' }, payload: { stock: 7 } })
  t.equal(unknown.statusCode, 200, 'a preference Lifeguard does not know is ignored')

  const failed = await app.inject({ method: 'PATCH', url: String(created.headers.location), headers: { ...minimal, 'if-match': '"1"' }, payload: { stock: 8 } })
  t.equal(failed.statusCode, 412, 'an error is an error, with its problem body')
  t.match(failed.json(), { status: 412 })

  const documented = (await app.inject('/openapi.json')).json().paths['/books/{id}'].patch
  t.ok(documented.responses['204'], '204 is documented')
  t.ok(documented.parameters.some((parameter: { in: string; name: string }) => parameter.in === 'header' && parameter.name === 'prefer'), 'and the Prefer header')
})
