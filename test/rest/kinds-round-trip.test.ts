import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { buildSpecimenApp } from '../fixtures/specimen-app'
import { answeredOf, SPECIMEN_CASES } from '../fixtures/specimen-cases'
import { problemOf } from '../fixtures/seed'
import { waitForIdlePool } from '../support/pool-state'

// Issue 7 §1: every column type TypeORM's mysql/mariadb driver maps, nullable and not, with and
// without defaults and transformers, round-trips through POST, GET, PATCH, PUT and lists exactly;
// its boundary values are accepted and one step past them is a 400 naming the field, with nothing written.

async function countSpecimens(app: FastifyInstance): Promise<number> {
  const [row] = await app.db.query('SELECT COUNT(*) AS n FROM specimens')
  return Number(row.n)
}

/** A body with every updatable field, each at its first accepted value (what PUT must send). */
function fullBody(): Record<string, unknown> {
  const body: Record<string, unknown> = { name: 'full' }
  for (const kind of SPECIMEN_CASES) body[kind.field] = kind.accepted[0][0]
  return body
}

t.test('every column kind round-trips exactly', async (t) => {
  const app = await buildSpecimenApp(t)
  const base = await app.inject({ method: 'POST', url: '/specimens', payload: { name: 'base' } })
  t.equal(base.statusCode, 201, base.body)
  const baseId = base.json().id

  for (const kind of SPECIMEN_CASES) {
    await t.test(kind.field, async (t) => {
      for (const accepted of kind.accepted) {
        const answered = answeredOf(accepted)
        const label = `${kind.field} = ${JSON.stringify(accepted[0])?.slice(0, 60)}`
        const created = await app.inject({ method: 'POST', url: '/specimens', payload: { name: 'kind', [kind.field]: accepted[0] } })
        t.equal(created.statusCode, 201, `POST ${label}: ${created.statusCode === 201 ? '' : created.body}`)
        if (created.statusCode !== 201) continue
        const row = created.json()
        t.same(row[kind.field], answered, `POST answers ${label}`)
        t.same((await app.inject(`/specimens/${row.id}`)).json()[kind.field], answered, `GET answers ${label}`)
        const listed = (await app.inject(`/specimens?where.id.eq=${row.id}&fields=id,${kind.field}`)).json()
        t.same(listed, [{ id: row.id, [kind.field]: answered }], `a list answers ${label}`)

        const patched = await app.inject({ method: 'PATCH', url: `/specimens/${baseId}`, payload: { [kind.field]: accepted[0] } })
        t.equal(patched.statusCode, 200, `PATCH ${label}: ${patched.statusCode === 200 ? '' : patched.body}`)
        t.same(patched.json()[kind.field], answered, `PATCH answers ${label}`)
        t.same((await app.inject(`/specimens/${baseId}`)).json()[kind.field], answered, `GET after PATCH answers ${label}`)

        const replaced = await app.inject({ method: 'PUT', url: `/specimens/${baseId}`, payload: { ...fullBody(), [kind.field]: accepted[0] } })
        t.equal(replaced.statusCode, 200, `PUT ${label}: ${replaced.statusCode === 200 ? '' : replaced.body}`)
        t.same(replaced.json()[kind.field], answered, `PUT answers ${label}`)
      }

      for (const value of kind.refused) {
        const label = `${kind.field} = ${JSON.stringify(value)?.slice(0, 60)}`
        const before = await countSpecimens(app)
        const refused = problemOf(t, await app.inject({ method: 'POST', url: '/specimens', payload: { name: 'refused', [kind.field]: value } }), 400)
        t.ok(
          refused.errors?.some((error: { path: string }) => error.path === `body.${kind.field}` || error.path.startsWith(`body.${kind.field}.`)),
          `POST ${label} is refused naming body.${kind.field}: ${JSON.stringify(refused.errors)}`
        )
        t.equal(await countSpecimens(app), before, `nothing written for ${label}`)
        const unchanged = (await app.inject(`/specimens/${baseId}`)).json()
        const patch = await app.inject({ method: 'PATCH', url: `/specimens/${baseId}`, payload: { [kind.field]: value } })
        problemOf(t, patch, 400)
        t.same((await app.inject(`/specimens/${baseId}`)).json(), unchanged, `a refused PATCH ${label} changes nothing`)
      }
    })
  }

  await t.test('defaults apply where a POST leaves a field out', async (t) => {
    const row = (await app.inject({ method: 'POST', url: '/specimens', payload: { name: 'defaults' } })).json()
    t.match(row, {
      tiny: 0,
      small: -1,
      mediumU: 0,
      intU: 0,
      big: '0',
      flag: false,
      dec: 0,
      real: 0,
      code: 'AAAA',
      nameN: 'unnamed',
      day: '2000-01-01',
      clock: '00:00:00',
      color: 'green',
      version: 1
    })
    t.equal(row.flagN, null, 'a nullable boolean without a default is null (this was a 500)')
    t.match(row.ts0, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, 'a TIMESTAMP(0) default is answered at its precision')
    t.match(row.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/, 'a DATETIME(6) create date keeps microseconds')
    t.equal(row.createdAt, row.updatedAt)
    const serverNow = Date.parse(row.createdAt)
    t.ok(Math.abs(serverNow - Date.now()) < 60_000, `the create date is UTC (${row.createdAt})`)
  })

  await t.test('the JSON type of each kind', async (t) => {
    const row = (await app.inject({ method: 'POST', url: '/specimens', payload: fullBody() })).json()
    t.type(row.big, 'string', 'BIGINT is a string')
    t.type(row.decWide, 'string', 'DECIMAL(30,10) is a string')
    t.type(row.dec, 'number', 'DECIMAL(10,2) is a number (precision <= 15)')
    t.type(row.decMoney, 'number', 'a transformer that returns a number makes it a number')
    t.type(row.flag, 'boolean')
    t.match(row.day, /^\d{4}-\d\d-\d\d$/, 'DATE is YYYY-MM-DD')
    t.match(row.dt0, /T\d\d:\d\d:\d\dZ$/, 'DATETIME(0) has no fraction')
    t.match(row.dt6, /\.\d{6}Z$/, 'DATETIME(6) has six fractional digits')
    t.ok(Array.isArray(row.tags), 'SET is an array')
    t.ok(Array.isArray(row.list), 'simple-array is an array')
  })

  t.equal((await waitForIdlePool(app)).active, 0, 'the pool is idle afterwards')
})
