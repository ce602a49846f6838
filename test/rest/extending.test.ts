import t from 'tap'
import { buildTestApp } from '../helper'
import { entities } from '../../entities'
import { Widget } from '../fixtures/Widget'
import { CreateWidgets1795600000000 } from '../fixtures/create-widgets-migration'
import { walkPages } from '../fixtures/paging'
import { problemOf } from '../fixtures/seed'
import { queryKeysOf } from '../http/openapi-support'

// Issue 2 item 10: an entity file with @RestResource, added to the entity list, gets its
// routes, validation and OpenAPI paths with no route code. No route below is written here.
t.test('a test-only entity gets CRUD routes and OpenAPI paths with no route code', async (t) => {
  const app = await buildTestApp(t, {}, { entities: [...entities, Widget] })
  const queryRunner = app.db.createQueryRunner()
  try {
    await new CreateWidgets1795600000000().up(queryRunner)
  } finally {
    await queryRunner.release()
  }

  await t.test('OpenAPI lists the widget routes, schemas and list parameters', async (t) => {
    const doc = (await app.inject('/openapi.json')).json()
    t.same(Object.keys(doc.paths['/widgets']).sort(), ['delete', 'get', 'patch', 'post'], 'the collection: list, create, and PATCH/DELETE by filter')
    t.same(Object.keys(doc.paths['/widgets/{id}']).sort(), ['delete', 'get', 'patch', 'put'])
    const parameters = queryKeysOf(doc.paths['/widgets'].get).map((name) => `query:${name}`)
    for (const name of ['where.rank.isNull', 'where.discontinued.eq', 'where.note.like', 'orderby.releasedAt', 'limit', 'cursor']) {
      t.ok(parameters.includes(`query:${name}`), `query parameter ${name}`)
    }
    t.notOk(parameters.includes('query:where.discontinued.gt'), 'booleans are not ordered')
    const text = JSON.stringify(doc)
    t.notOk(text.includes('internalCode'), 'a field left out of readable appears nowhere')
    const widget = doc.components.schemas.Widget
    t.same(Object.keys(widget?.properties ?? {}), ['id', 'name', 'color', 'weightKg', 'discontinued', 'note', 'releasedAt', 'rank'])
    t.same(doc.components.schemas.WidgetCreate.required, ['name', 'weightKg'], 'defaults and nullables are optional')
    t.equal(doc.paths['/widgets/{id}'].get.responses['200'].content['application/json'].schema.$ref, '#/components/schemas/Widget')
    t.equal(
      doc.paths['/widgets'].post.responses['400'].content['application/problem+json'].schema.$ref,
      '#/components/schemas/Problem'
    )
    t.ok(doc.paths['/books/{id}'], 'domain entities are still there')
  })

  await t.test('CRUD round trip, without ETag (no version column)', async (t) => {
    const created = await app.inject({
      method: 'POST',
      url: '/widgets',
      payload: { name: 'sprocket', weightKg: 1.25, discontinued: true, releasedAt: '2024-05-06T07:08:09.123Z' }
    })
    t.equal(created.statusCode, 201)
    const widget = created.json()
    t.same(widget, {
      id: widget.id,
      name: 'sprocket',
      color: 'red',
      weightKg: 1.25,
      discontinued: true,
      note: null,
      releasedAt: '2024-05-06T07:08:09.123Z',
      rank: null
    })
    t.equal(created.headers.location, `/widgets/${widget.id}`)
    t.notOk(created.headers.etag)
    t.same((await app.inject(`/widgets/${widget.id}`)).json(), widget)
    const patched = await app.inject({ method: 'PATCH', url: `/widgets/${widget.id}`, payload: { discontinued: false, rank: 3 } })
    t.match(patched.json(), { discontinued: false, rank: 3, name: 'sprocket' })
    // Without a version column there is no ETag to match: only If-Match: * can hold, and saying otherwise is a 400.
    const noEtag = problemOf(t, await app.inject({ method: 'PATCH', url: `/widgets/${widget.id}`, payload: { rank: 4 }, headers: { 'if-match': '"1"' } }), 400)
    t.equal(noEtag.errors[0].path, 'headers.if-match')
    const anyMatch = await app.inject({ method: 'PATCH', url: `/widgets/${widget.id}`, payload: { rank: 4 }, headers: { 'if-match': '*' } })
    t.equal(anyMatch.json().rank, 4)
    const replaced = await app.inject({
      method: 'PUT',
      url: `/widgets/${widget.id}`,
      payload: { name: 'gear', color: 'blue', weightKg: 0.5, discontinued: false, note: 'n', releasedAt: null, rank: null }
    })
    t.match(replaced.json(), { name: 'gear', color: 'blue', weightKg: 0.5, note: 'n', releasedAt: null, rank: null })
    const body = problemOf(t, await app.inject({ method: 'POST', url: '/widgets', payload: { name: 'x', weightKg: 1, internalCode: 'x' } }), 400)
    t.equal(body.errors[0].path, 'body.internalCode')
    problemOf(t, await app.inject({ method: 'POST', url: '/widgets', payload: { name: 'x', weightKg: 1000 } }), 400)
    problemOf(t, await app.inject('/widgets?fields=internalCode'), 400)
    t.equal((await app.inject({ method: 'DELETE', url: `/widgets/${widget.id}` })).statusCode, 204)
    problemOf(t, await app.inject(`/widgets/${widget.id}`), 404)
  })

  await t.test('filters and paging over nullable, boolean and enum columns', async (t) => {
    const ranks = [null, 2, 1, null, 2, 5, null, 1, 3, 2, null, 4, 1]
    const ids: number[] = []
    for (const [i, rank] of ranks.entries()) {
      const response = await app.inject({
        method: 'POST',
        url: '/widgets',
        payload: {
          name: `w${i % 4}`,
          color: ['red', 'green', 'blue'][i % 3],
          weightKg: i / 10,
          discontinued: i % 2 === 0,
          rank,
          releasedAt: i % 3 === 0 ? null : new Date(Date.UTC(2024, 0, 1 + (i % 5))).toISOString()
        }
      })
      ids.push(response.json().id)
    }
    const rows = ranks.map((rank, i) => ({ id: ids[i], rank, name: `w${i % 4}`, discontinued: i % 2 === 0, color: ['red', 'green', 'blue'][i % 3] }))
    // MySQL puts NULL first ascending and last descending; the primary key breaks ties.
    const nullsFirst = (a: number | null, b: number | null) => (a === b ? 0 : a === null ? -1 : b === null ? 1 : a - b)
    const ascending = [...rows].sort((a, b) => nullsFirst(a.rank, b.rank) || a.id - b.id).map((r) => r.id)
    const descendingByName = [...rows]
      .sort((a, b) => -nullsFirst(a.rank, b.rank) || a.name.localeCompare(b.name) || a.id - b.id)
      .map((r) => r.id)

    t.same((await walkPages(app, '/widgets?orderby.rank=asc&limit=4')).rows.map((r) => r.id), ascending)
    t.same((await walkPages(app, '/widgets?orderby.rank=desc&orderby.name=asc&limit=3')).rows.map((r) => r.id), descendingByName)
    const byRelease = await walkPages(app, '/widgets?orderby.releasedAt=desc&limit=2')
    t.same([...byRelease.rows.map((r) => r.id)].sort((a, b) => Number(a) - Number(b)), ids, 'nullable datetime sort pages every row once')

    const idsOf = async (url: string) => ((await app.inject(url)).json() as Array<{ id: number }>).map((r) => r.id)
    t.same(await idsOf('/widgets?where.rank.isNull=true&limit=100'), rows.filter((r) => r.rank === null).map((r) => r.id))
    t.same(await idsOf('/widgets?where.discontinued.eq=true&limit=100'), rows.filter((r) => r.discontinued).map((r) => r.id))
    t.same(await idsOf('/widgets?where.color.in=green,blue&where.rank.gte=2&limit=100'), rows.filter((r) => r.color !== 'red' && r.rank !== null && r.rank >= 2).map((r) => r.id))
    t.same(await idsOf('/widgets?where.releasedAt.isNull=false&where.releasedAt.lt=2024-01-03T00:00:00.000Z&limit=100'),
      ids.filter((_, i) => i % 3 !== 0 && i % 5 < 2))
  })
})
