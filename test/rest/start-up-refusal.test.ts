import t from 'tap'
import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm'
import { entities } from '../../entities'
import { buildApp } from '../../src/app'
import { RestResource } from '../../src/rest/resource'
import { adminConnection, createTestDatabase } from '../helper'
import { serverConnections } from '../support/server-state'

/** An entity the routes cannot serve: a TEXT column declared sortable. */
@Entity('essays')
@RestResource<Essay>({ writable: ['body'], filterable: [], sortable: ['body'] })
class Essay {
  @PrimaryGeneratedColumn({ type: 'int' }) id: number
  @Column({ type: 'text' }) body: string
}

// Issue 7: an entity the routes cannot serve correctly is refused at start-up with one clear
// line, not answered with 500s later, and the refusal leaves no connection open.
t.test('a start-up refusal is one line and closes the pool', async (t) => {
  const config = await createTestDatabase(t)
  const database = new URL(config.DATABASE_URL).pathname.slice(1)
  const admin = await adminConnection()
  t.teardown(() => admin.end())

  const refusal = await buildApp(config, { entities: [...entities, Essay] }).then(
    () => undefined,
    (err: Error) => err
  )
  t.ok(refusal, 'buildApp refuses')
  t.match(refusal?.message, /^Essay\.body: text columns cannot be sorted exactly .*leave it out of "sortable"$/)
  t.notOk(refusal?.message.includes('\n'), 'one line')
  let open = await serverConnections(admin, database)
  for (let i = 0; i < 40 && open > 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50))
    open = await serverConnections(admin, database)
  }
  t.equal(open, 0, 'the pool the refused app had opened is closed')
})
