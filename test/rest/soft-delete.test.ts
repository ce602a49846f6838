import t from 'tap'
import { Column, CreateDateColumn, DeleteDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn, VersionColumn } from 'typeorm'
import { entities } from '../../entities'
import { RestResource } from '../../src/rest/resource'
import { buildTestApp } from '../helper'
import { applyGeneratedMigration } from '../fixtures/generated-migration'
import { problemOf } from '../fixtures/seed'
import { bearer, TEST_SECRET } from '../support/tokens'

/** A soft-deleted entity with a unique code and an owner rule: what a user of soft delete writes. */
@Entity('tickets')
@RestResource<Ticket>({
  writable: ['code', 'title'],
  filterable: ['id', 'code', 'ownerId'],
  sortable: ['id'],
  rules: { read: ['authenticated'], create: ['authenticated'], update: ['authenticated'], delete: ['authenticated'], owner: 'ownerId', allRows: ['admin'] }
})
class Ticket {
  @PrimaryGeneratedColumn({ type: 'int', unsigned: true })
  id: number

  @Index('UQ_tickets_code', { unique: true })
  @Column({ type: 'varchar', length: 20 })
  code: string

  @Column({ type: 'varchar', length: 80 })
  title: string

  @Column({ type: 'varchar', length: 255, nullable: true })
  ownerId: string | null

  @VersionColumn({ type: 'int', unsigned: true })
  version: number

  @CreateDateColumn({ type: 'datetime', precision: 3, default: () => 'CURRENT_TIMESTAMP(3)' })
  createdAt: Date

  @UpdateDateColumn({ type: 'datetime', precision: 3, default: () => 'CURRENT_TIMESTAMP(3)', onUpdate: 'CURRENT_TIMESTAMP(3)' })
  updatedAt: Date

  @DeleteDateColumn({ type: 'datetime', precision: 3, nullable: true })
  deletedAt: Date | null
}

t.test('soft delete: hidden reads, withDeleted, restore, unique keys', async (t) => {
  const app = await buildTestApp(t, { AUTH_MODE: 'jwt', AUTH_JWT_SECRET: TEST_SECRET }, { entities: [...entities, Ticket] })
  await applyGeneratedMigration(app)
  const alice = bearer('alice', [])
  const bob = bearer('bob', [])
  const admin = bearer('ada', ['admin'])
  const create = async (code: string, headers = alice) => {
    const response = await app.inject({ method: 'POST', url: '/tickets', headers, payload: { code, title: `ticket ${code}` } })
    t.equal(response.statusCode, 201, response.body)
    return response.json()
  }
  const [one, two] = [await create('T-1'), await create('T-2')]
  const bobs = await create('B-1', bob)
  const list = async (url: string, headers = alice) => {
    const response = await app.inject({ url, headers })
    t.equal(response.statusCode, 200, `${url}: ${response.body}`)
    return response.json().map((row: { id: number }) => row.id)
  }

  t.equal((await app.inject({ method: 'DELETE', url: `/tickets/${one.id}`, headers: alice })).statusCode, 204)
  t.same(await list('/tickets'), [two.id], 'a deleted row is gone from lists')
  t.equal((await app.inject({ url: `/tickets/${one.id}`, headers: alice })).statusCode, 404, 'and from GET')

  await t.test('withDeleted=true shows deleted rows too, with their stamp', async (t) => {
    t.same(await list('/tickets?withDeleted=true'), [one.id, two.id], "alice's rows, deleted or not")
    const deleted = await app.inject({ url: `/tickets/${one.id}?withDeleted=true`, headers: alice })
    t.equal(deleted.statusCode, 200)
    t.match(deleted.json().deletedAt, /^\d{4}-/, 'its stamp')
    t.same(await list('/tickets?withDeleted=true', admin), [one.id, two.id, bobs.id], 'the owner rule still holds: admin sees all, alice her own')
    t.same(await list('/tickets?withDeleted=true&totalCount=true&where.code.eq=T-1'), [one.id], 'filters apply to the deleted rows too')
    problemOf(t, await app.inject({ url: '/tickets?withDeleted=yes', headers: alice }), 400)
    problemOf(t, await app.inject('/books?withDeleted=true'), 400)
  })

  await t.test('a unique value stays taken by a deleted row', async (t) => {
    const taken = problemOf(t, await app.inject({ method: 'POST', url: '/tickets', headers: alice, payload: { code: 'T-1', title: 'again' } }), 409)
    t.match(taken.detail, /code/)
  })

  await t.test('POST /:id/restore undoes the delete', async (t) => {
    problemOf(t, await app.inject({ method: 'POST', url: `/tickets/${one.id}/restore`, headers: bob }), 404)
    const restored = await app.inject({ method: 'POST', url: `/tickets/${one.id}/restore`, headers: alice })
    t.equal(restored.statusCode, 200, restored.body)
    t.match(restored.json(), { id: one.id, code: 'T-1', deletedAt: null, version: 3 }, 'live again, its version moved past the delete')
    t.equal(restored.headers.etag, '"3"')
    t.same(await list('/tickets'), [one.id, two.id])
    const again = await app.inject({ method: 'POST', url: `/tickets/${one.id}/restore`, headers: alice })
    t.equal(again.statusCode, 200, 'restoring a live row is a no-op')
    t.equal(again.json().version, 3, 'that changes nothing')
    problemOf(t, await app.inject({ method: 'POST', url: '/tickets/999/restore', headers: alice }), 404)
  })

  await t.test('a DELETE by filter stamps every selected row', async (t) => {
    const deleted = await app.inject({ method: 'DELETE', url: '/tickets?where.code.startsWith=T-', headers: alice })
    t.equal(deleted.statusCode, 204)
    t.equal(deleted.headers['x-affected-count'], '2')
    t.same(await list('/tickets'), [])
    t.same(await list('/tickets?withDeleted=true'), [one.id, two.id], 'stamped, not gone')
    t.same(await list('/tickets', bob), [bobs.id], "bob's ticket untouched")
  })

  const openapi = (await app.inject('/openapi.json')).json()
  t.ok(openapi.paths['/tickets/{id}/restore']?.post, 'restore is documented')
  t.notOk(openapi.paths['/books/{id}/restore'], 'only where there is a soft delete')
})
