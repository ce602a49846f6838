// A process whose local zone is not UTC: mysql2 and TypeORM read zone-less dates in local time.
process.env.TZ = 'America/New_York'

import t from 'tap'
import { entities } from '../../entities'
import { PrivateMariaDb } from '../faults/private-mariadb'
import { buildAppOn, FAULT_DATABASE } from '../faults/fault-support'
import { Specimen } from '../fixtures/Specimen'
import { CreateSpecimens1796000000000 } from '../fixtures/migrations/1796000000000-create-specimens'

// Issue 7 §1 (time zones): every pooled session runs with time_zone '+00:00', so server-side
// CURRENT_TIMESTAMP defaults, TIMESTAMP columns and bound values agree on a server whose own
// zone is not UTC, in a process whose own zone is not UTC either.
t.test('dates agree with UTC on a +05:30 server from a New York process', async (t) => {
  t.not(new Date(2024, 0, 1).getTimezoneOffset(), 0, 'the process zone is not UTC')
  const server = await PrivateMariaDb.start(t, ['--default-time-zone=+05:30'])
  const app = await buildAppOn(t, server.url, {}, { entities: [...entities, Specimen] })
  const runner = app.db.createQueryRunner()
  await new CreateSpecimens1796000000000().up(runner).finally(() => runner.release())

  const [session] = await app.db.query('SELECT @@session.time_zone AS session, @@global.time_zone AS global')
  t.same(session, { session: '+00:00', global: '+05:30' }, 'pooled sessions are UTC on a server that is not')

  const before = Date.now()
  const created = await app.inject({
    method: 'POST',
    url: '/specimens',
    payload: { name: 'zones', day: '2024-02-29', ts6: '2030-06-01T00:00:00.000001Z', dt6: '2030-06-01T23:30:00.5+05:30' }
  })
  t.equal(created.statusCode, 201, created.body)
  const row = created.json()
  t.equal(row.day, '2024-02-29', 'a DATE does not move by the process zone')
  t.equal(row.ts6, '2030-06-01T00:00:00.000001Z', 'a TIMESTAMP answers the instant it was given')
  t.equal(row.dt6, '2030-06-01T18:00:00.500000Z', 'an offset is converted to UTC before it is stored')
  for (const stamp of [row.ts0, row.createdAt]) {
    const drift = Date.parse(stamp) - before
    t.ok(Math.abs(drift) < 60_000, `the server's CURRENT_TIMESTAMP default is UTC (${stamp}, ${drift} ms)`)
  }

  const admin = await server.admin()
  t.teardown(() => admin.end())
  await admin.query(`USE ${FAULT_DATABASE}`)
  await admin.query("SET time_zone = '+00:00'")
  const [[stored]] = (await admin.query(
    "SELECT DATE_FORMAT(ts6, '%Y-%m-%d %H:%i:%s.%f') AS ts6, DATE_FORMAT(dt6, '%Y-%m-%d %H:%i:%s.%f') AS dt6, DATE_FORMAT(day, '%Y-%m-%d') AS day FROM specimens WHERE id = ?",
    [row.id]
  )) as unknown as [[Record<string, string>]]
  t.same(stored, { ts6: '2030-06-01 00:00:00.000001', dt6: '2030-06-01 18:00:00.500000', day: '2024-02-29' }, 'the server holds UTC')

  const found = (await app.inject(`/specimens?where.ts6.eq=${encodeURIComponent('2030-06-01T05:30:00.000001+05:30')}&fields=id`)).json()
  t.same(found, [{ id: row.id }], 'a filter with an offset finds the same instant')
  t.same((await app.inject(`/specimens/${row.id}`)).json(), row)
})
