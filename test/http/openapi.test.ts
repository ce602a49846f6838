import t from 'tap'
import path from 'node:path'
import type { AddressInfo } from 'node:net'
import { Validator } from '@seriousme/openapi-schema-validator'
import { buildTestApp } from '../helper'
import { buildResourceModel, isRestEntity, type ResourceModel } from '../../src/rest/resource-model'
import {
  formatDiagnostics,
  generateTypes,
  headerParameter,
  loadTranspiled,
  markedLines,
  operationsOf,
  refsOf,
  resolveRef,
  responseHeader,
  scratchProject,
  typecheck,
  writeFiles,
  type Diagnostic,
  type Json
} from './openapi-support'

/**
 * The OpenAPI document is a contract: client generators turn it into code that is only as
 * right as the document. These tests read /openapi.json as a generator would: valid per the
 * OpenAPI 3.0 schema, every $ref resolving, and every behaviour a client relies on (503 +
 * Retry-After, problem+json, conditional requests, paging headers, Location) documented. Then
 * a client generated from it must compile, reject wrong calls, and talk to the real app.
 */

const PROBLEM_REF = '#/components/schemas/Problem'

t.test('the served OpenAPI document', async (t) => {
  const app = await buildTestApp(t)
  const res = await app.inject('/openapi.json')
  t.equal(res.statusCode, 200)
  const doc: Json = res.json()
  const operations = operationsOf(doc)
  const byLabel = new Map(operations.map((operation) => [operation.label, operation]))
  // Entity routes follow from the same metadata the REST layer builds them from.
  const models = app.db.entityMetadatas.filter(isRestEntity).map(buildResourceModel)
  const entityOperations = models.flatMap((model) => entityRoutesOf(model))

  t.test('validates against the OpenAPI 3.0 schema it declares', async (t) => {
    t.equal(doc.openapi, '3.0.3')
    const validator = new Validator({ allErrors: true })
    // A copy: the validator keeps (and may annotate) what it is given.
    const result = await validator.validate(structuredClone(doc))
    t.equal(validator.version, '3.0', 'validated as 3.0')
    const errors = Array.isArray(result.errors)
      ? result.errors.map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`)
      : result.errors === undefined ? [] : [result.errors]
    t.ok(result.valid, `the validator accepts the document${errors.length ? ':\n' + errors.join('\n') : ''}`)
    t.ok(Array.isArray(doc.servers) && doc.servers.length > 0 && doc.servers.every((s: Json) => typeof s.url === 'string'), 'servers are declared')
  })

  t.test('every $ref resolves inside the document', async (t) => {
    const refs = refsOf(doc)
    t.ok(refs.length > 0, 'the document uses $ref (else this test checks nothing)')
    for (const { at, ref } of refs) {
      t.ok(resolveRef(doc, ref) !== undefined, `${at}: $ref ${JSON.stringify(ref)} resolves`)
    }
    const problem = doc.components?.schemas?.Problem
    t.ok(problem, 'components.schemas.Problem exists')
    t.same([...(problem?.required ?? [])].sort(), ['detail', 'instance', 'status', 'title', 'type'], 'Problem requires the RFC 9457 members')
  })

  t.test('every operation is named or summarised, and tagged with a declared tag', async (t) => {
    const declared = new Map((doc.tags ?? []).map((tag: Json) => [tag.name, tag.description]))
    const operationIds = new Map<string, string>()
    for (const { label, operation } of operations) {
      t.ok(operation.operationId || operation.summary, `${label} has an operationId or a summary`)
      t.ok(Array.isArray(operation.tags) && operation.tags.length > 0, `${label} has a tag`)
      for (const tag of operation.tags ?? []) {
        t.ok(declared.get(tag), `${label}: tag ${tag} is declared at the top level with a description`)
      }
      if (operation.operationId !== undefined) {
        // Generators key methods by operationId: a duplicate silently overwrites one of them.
        const other = operationIds.get(operation.operationId)
        t.equal(other, undefined, `${label}: operationId ${operation.operationId} is unique${other ? ` (${other} has it too)` : ''}`)
        operationIds.set(operation.operationId, label)
      }
    }
  })

  t.test('every database route documents 503 with Retry-After and problem+json', async (t) => {
    const databaseRoutes = [...entityOperations, 'POST /orders', 'GET /health/ready']
    for (const label of databaseRoutes) {
      const found = byLabel.get(label)
      if (!t.ok(found, `${label} is documented`)) continue
      const unavailable = found!.operation.responses?.['503']
      if (!t.ok(unavailable, `${label} documents 503 (pool timeout, database down)`)) continue
      t.ok(responseHeader(unavailable, 'Retry-After')?.schema, `${label} 503 documents the Retry-After header`)
      t.equal(unavailable.content?.['application/problem+json']?.schema?.$ref, PROBLEM_REF, `${label} 503 is problem+json (Problem)`)
    }
  })

  t.test('every 4xx response is application/problem+json referencing Problem', async (t) => {
    let checked = 0
    for (const { label, operation } of operations) {
      for (const [status, response] of Object.entries<Json>(operation.responses ?? {})) {
        if (!/^4\d\d$/.test(status)) continue
        checked++
        t.same(Object.keys(response.content ?? {}), ['application/problem+json'], `${label} ${status} is problem+json only`)
        t.equal(response.content?.['application/problem+json']?.schema?.$ref, PROBLEM_REF, `${label} ${status} references Problem`)
      }
    }
    t.ok(checked > 0, 'some 4xx responses exist (else this test checks nothing)')
  })

  t.test('/health/ready documents 200 and 503', async (t) => {
    const responses = byLabel.get('GET /health/ready')?.operation.responses ?? {}
    t.ok(responses['200']?.content?.['application/json']?.schema, '200 with a JSON body')
    t.ok(responses['503'], '503 when the database cannot be reached')
  })

  t.test('conditional requests are documented exactly where a version column backs them', async (t) => {
    const versioned = models.filter((model) => model.version !== undefined)
    const unversioned = models.filter((model) => model.version === undefined)
    // Both kinds must exist, or half of the assertions below would pass by checking nothing.
    t.ok(versioned.length > 0, `some entity has a version column (${versioned.map((m) => m.name).join(', ')})`)
    t.ok(unversioned.length > 0, `some entity has none (${unversioned.map((m) => m.name).join(', ')})`)
    for (const model of models) {
      const hasVersion = model.version !== undefined
      const item = `${model.path}/{id}`
      const get = byLabel.get(`GET ${item}`)
      if (model.operations.has('get') && t.ok(get, `GET ${item} is documented`)) {
        const { operation } = get!
        if (hasVersion) {
          t.ok(headerParameter(operation, 'If-None-Match'), `GET ${item} documents the If-None-Match request header`)
          t.ok(operation.responses?.['304'], `GET ${item} documents 304`)
          t.notOk(operation.responses?.['304']?.content, `GET ${item} 304 has no body`)
          t.ok(responseHeader(operation.responses?.['200'], 'ETag'), `GET ${item} 200 documents ETag`)
        } else {
          t.notOk(headerParameter(operation, 'If-None-Match'), `GET ${item} (${model.name} has no version column) documents no If-None-Match`)
          t.notOk(operation.responses?.['304'], `GET ${item} (${model.name} has no version column) documents no 304`)
          t.notOk(responseHeader(operation.responses?.['200'], 'ETag'), `GET ${item} (${model.name} has no version column) documents no ETag`)
        }
      }
      for (const [operationName, method] of [['update', 'PATCH'], ['replace', 'PUT'], ['delete', 'DELETE']] as const) {
        if (!model.operations.has(operationName)) continue
        const write = byLabel.get(`${method} ${item}`)
        if (!t.ok(write, `${method} ${item} is documented`)) continue
        const { operation } = write!
        if (hasVersion) {
          t.ok(headerParameter(operation, 'If-Match'), `${method} ${item} documents the If-Match request header`)
          t.ok(operation.responses?.['412'], `${method} ${item} documents 412`)
        } else {
          t.notOk(headerParameter(operation, 'If-Match'), `${method} ${item} (${model.name} has no version column) documents no If-Match`)
          t.notOk(operation.responses?.['412'], `${method} ${item} (${model.name} has no version column) documents no 412`)
        }
      }
    }
  })

  t.test('list routes document Link and X-Total-Count', async (t) => {
    const lists = models.filter((model) => model.operations.has('list'))
    t.ok(lists.length > 0, 'some entity has a list route')
    for (const model of lists) {
      const ok = byLabel.get(`GET ${model.path}`)?.operation.responses?.['200']
      if (!t.ok(ok, `GET ${model.path} documents 200`)) continue
      t.ok(responseHeader(ok, 'Link'), `GET ${model.path} 200 documents Link`)
      t.ok(responseHeader(ok, 'X-Total-Count'), `GET ${model.path} 200 documents X-Total-Count`)
    }
  })

  t.test('create routes document 201 with Location', async (t) => {
    const creates = [...models.filter((model) => model.operations.has('create')).map((model) => `POST ${model.path}`), 'POST /orders']
    for (const label of creates) {
      const created = byLabel.get(label)?.operation.responses?.['201']
      if (!t.ok(created, `${label} documents 201`)) continue
      t.ok(responseHeader(created, 'Location'), `${label} 201 documents Location`)
      t.ok(created.content?.['application/json']?.schema, `${label} 201 documents its body`)
    }
  })
})

/** `GET /books`, `GET /books/{id}`, ... for each operation the entity exposes. */
function entityRoutesOf(model: ResourceModel): string[] {
  const item = `${model.path}/{id}`
  const routes: Record<string, string> = {
    list: `GET ${model.path}`,
    get: `GET ${item}`,
    create: `POST ${model.path}`,
    update: `PATCH ${item}`,
    replace: `PUT ${item}`,
    delete: `DELETE ${item}`
  }
  return [...model.operations].map((operation) => routes[operation])
}

/**
 * A client program as a user would write one against the generated types. Its typed locals
 * (`title: string | undefined`, `price: number | undefined`) are checks too: they fail to
 * compile if the document types a field differently from what the service sends.
 */
const CLIENT_SOURCE = `import createClient from 'openapi-fetch'
import type { paths } from './api'

export async function run(baseUrl: string, bookId: number) {
  const client = createClient<paths>({ baseUrl })
  const book = await client.GET('/books/{id}', { params: { path: { id: bookId } } })
  const title: string | undefined = book.data?.title
  const price: number | undefined = book.data?.price
  const missing = await client.GET('/books/{id}', { params: { path: { id: 4294967295 } } })
  const problemStatus: number | undefined = missing.error?.status
  const created = await client.POST('/authors', { body: { name: 'Ursula K. Le Guin', bio: null } })
  // POST answers an array for an array body: one row sent, one row back, told apart by its type.
  const author = Array.isArray(created.data) ? undefined : created.data
  const authorId: number | undefined = author?.id
  const authorName: string | undefined = author?.name
  return {
    book: { status: book.response.status, etag: book.response.headers.get('etag'), id: book.data?.id, title, price },
    missing: { status: missing.response.status, contentType: missing.response.headers.get('content-type'), problemStatus },
    created: { status: created.response.status, location: created.response.headers.get('location'), authorId, authorName }
  }
}
`

/**
 * Calls a generated client must refuse to compile; each marked line must carry an error, and
 * only those. An unknown extra body field is not among them: openapi-fetch infers its init
 * argument generically, which turns off TypeScript's excess-property check whatever the
 * document says, so that line would test openapi-fetch rather than the document.
 */
const WRONG_CALLS_SOURCE = `import createClient from 'openapi-fetch'
import type { paths } from './api'

export async function wrongCalls(baseUrl: string) {
  const client = createClient<paths>({ baseUrl })
  await client.POST('/authors', { body: { bio: 'no name' } }) // WRONG: AuthorCreate requires name
  await client.POST('/authors', { body: { name: 42 } }) // WRONG: name is a string
  await client.GET('/books/{id}', { params: { path: { id: 'seven' } } }) // WRONG: the id is an integer
  await client.GET('/bookz/{id}', { params: { path: { id: 1 } } }) // WRONG: there is no /bookz
  await client.DELETE('/orders/{id}', { params: { path: { id: 1 } } }) // WRONG: orders cannot be deleted
  await client.POST('/orders', { body: { bookId: 1 } }) // WRONG: an order needs a quantity
  const { data } = await client.GET('/books/{id}', { params: { path: { id: 1 } } })
  return data?.titel // WRONG: a Book has title, not titel
}
`

const listed = (diagnostics: Diagnostic[]) => (diagnostics.length ? `:\n${formatDiagnostics(diagnostics)}` : '')

type ClientModule = {
  run(baseUrl: string, bookId: number): Promise<{
    book: { status: number; etag: string | null; id?: number; title?: string; price?: number }
    missing: { status: number; contentType: string | null; problemStatus?: number }
    created: { status: number; location: string | null; authorId?: number; authorName?: string }
  }>
}

t.test('a client generated from the document compiles, rejects wrong calls and talks to the app', async (t) => {
  const app = await buildTestApp(t)
  const doc: Json = (await app.inject('/openapi.json')).json()
  const scratch = scratchProject(path.resolve(__dirname, '../..'))
  t.teardown(scratch.remove)

  const types = await generateTypes(doc)
  t.match(types, /export interface paths \{/, 'openapi-typescript generated the paths interface')
  writeFiles(scratch.dir, { 'api.ts': types, 'client.ts': CLIENT_SOURCE, 'wrong-calls.ts': WRONG_CALLS_SOURCE })

  const diagnostics = typecheck(['client.ts', 'wrong-calls.ts'].map((name) => path.join(scratch.dir, name)))
  const outsideWrongCalls = diagnostics.filter((d) => d.file !== 'wrong-calls.ts')
  t.same(outsideWrongCalls, [], `the generated types and the client compile under strict${listed(outsideWrongCalls)}`)
  const wrong = diagnostics.filter((d) => d.file === 'wrong-calls.ts')
  const marked = markedLines(WRONG_CALLS_SOURCE)
  for (const [line, why] of marked) {
    const refused = wrong.some((d) => d.line === line)
    t.ok(refused, `wrong-calls.ts:${line} does not compile (${why})${refused ? '' : `; errors seen:\n${formatDiagnostics(wrong)}`}`)
  }
  const unexpected = wrong.filter((d) => !marked.has(d.line))
  t.same(unexpected, [], `wrong-calls.ts has no error outside the marked lines${listed(unexpected)}`)

  // Real rows and a real port: the generated client goes through HTTP, not inject.
  const author = (await app.inject({ method: 'POST', url: '/authors', payload: { name: 'Seed Author' } })).json()
  const seeded = await app.inject({
    method: 'POST',
    url: '/books',
    payload: { title: 'The Dispossessed', isbn: '978-0-06-051275-3', price: 12.5, stock: 3, authorId: author.id }
  })
  t.equal(seeded.statusCode, 201, 'seed book created')
  const book = seeded.json()
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo

  const client = loadTranspiled<ClientModule>(scratch.dir, 'client.ts', CLIENT_SOURCE)
  const result = await client.run(`http://127.0.0.1:${port}`, book.id)

  t.equal(result.book.status, 200, 'GET /books/{id} answers 200')
  t.same({ id: result.book.id, title: result.book.title, price: result.book.price }, { id: book.id, title: book.title, price: book.price })
  t.equal(typeof result.book.price, 'number', 'a DECIMAL arrives as the number the types promise')
  t.equal(result.book.etag, seeded.headers.etag, 'the ETag is the one the create answered')
  t.equal(result.missing.status, 404, 'GET of a missing id answers 404')
  t.match(result.missing.contentType, /^application\/problem\+json/)
  t.equal(result.missing.problemStatus, 404, 'the typed error body is the problem')
  t.equal(result.created.status, 201, 'POST /authors answers 201')
  t.equal(result.created.authorName, 'Ursula K. Le Guin')
  t.equal(result.created.location, `/authors/${result.created.authorId}`, 'Location names the new row')
  const stored = await app.inject(`/authors/${result.created.authorId}`)
  t.match(stored.json(), { id: result.created.authorId, name: 'Ursula K. Le Guin', bio: null }, 'the row is in the database')
})
