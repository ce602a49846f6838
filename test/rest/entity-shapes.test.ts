import t from 'tap'
import {
  ChildEntity,
  Column,
  CreateDateColumn,
  DeleteDateColumn,
  Entity,
  PrimaryGeneratedColumn,
  TableInheritance,
  VersionColumn
} from 'typeorm'
import { entities } from '../../entities'
import { RestResource } from '../../src/rest/resource'
import { buildTestApp } from '../helper'
import { applyGeneratedMigration } from '../fixtures/generated-migration'
import { problemOf } from '../fixtures/seed'
import { walkPages } from '../fixtures/paging'

// Issue 7 §1: what TypeORM does on reads and writes still happens on the generated routes:
// embedded columns nest, single-table inheritance keeps each type to its own rows, and
// @DeleteDateColumn rows are invisible once deleted.

class Address {
  @Column({ type: 'varchar', length: 80 })
  street: string

  @Column({ type: 'varchar', length: 40 })
  city: string

  @Column({ type: 'varchar', length: 10, nullable: true })
  zip: string | null
}

@Entity('shops')
@RestResource<Shop>({ writable: ['name', 'address'], filterable: ['address.city', 'address.zip'], sortable: ['id', 'address.city'] })
class Shop {
  @PrimaryGeneratedColumn({ type: 'int', unsigned: true })
  id: number

  @Column({ type: 'varchar', length: 40 })
  name: string

  @Column(() => Address)
  address: Address
}

@Entity('vehicles')
@TableInheritance({ column: { type: 'varchar', name: 'kind', length: 20 } })
@RestResource<Vehicle>({ writable: ['name'], filterable: ['name'], sortable: ['id'], operations: ['list', 'get'] })
class Vehicle {
  @PrimaryGeneratedColumn({ type: 'int', unsigned: true })
  id: number

  @Column({ type: 'varchar', length: 40 })
  name: string
}

@ChildEntity('car')
@RestResource<Car>({ writable: ['name', 'doors'], filterable: ['doors'], sortable: ['id'] })
class Car extends Vehicle {
  @Column({ type: 'tinyint', unsigned: true, nullable: true })
  doors: number | null
}

@ChildEntity('bike')
@RestResource<Bike>({ writable: ['name', 'gears'], filterable: ['gears'], sortable: ['id'] })
class Bike extends Vehicle {
  @Column({ type: 'tinyint', unsigned: true, nullable: true })
  gears: number | null
}

@Entity('memos')
@RestResource<Memo>({ writable: ['text'], filterable: ['text'], sortable: ['id'] })
class Memo {
  @PrimaryGeneratedColumn({ type: 'int', unsigned: true })
  id: number

  @Column({ type: 'varchar', length: 40 })
  text: string

  @VersionColumn({ type: 'int', unsigned: true })
  version: number

  @CreateDateColumn({ type: 'datetime', precision: 6, default: () => 'CURRENT_TIMESTAMP(6)' })
  createdAt: Date

  @DeleteDateColumn({ type: 'datetime', precision: 6, nullable: true })
  deletedAt: Date | null
}

t.test('embedded columns, single-table inheritance and soft delete', async (t) => {
  const app = await buildTestApp(t, {}, { entities: [...entities, Shop, Vehicle, Car, Bike, Memo] })
  const created = await applyGeneratedMigration(app)
  t.ok(created.length >= 3, 'the generated migration creates the test tables')

  await t.test('an embedded object nests in bodies, answers, filters and sorting', async (t) => {
    const post = await app.inject({ method: 'POST', url: '/shops', payload: { name: 'Corner', address: { street: '1 Main St', city: 'Lyon' } } })
    t.equal(post.statusCode, 201, post.body)
    t.same(post.json(), { id: post.json().id, name: 'Corner', address: { street: '1 Main St', city: 'Lyon', zip: null } })
    await app.inject({ method: 'POST', url: '/shops', payload: { name: 'Dock', address: { street: '2 Quay', city: 'Brest', zip: '29200' } } })
    const [stored] = await app.db.query('SELECT addressCity, addressStreet FROM shops WHERE id = ?', [post.json().id])
    t.same(stored, { addressCity: 'Lyon', addressStreet: '1 Main St' }, 'stored in the columns TypeORM named')
    t.same((await app.inject(`/shops/${post.json().id}`)).json(), post.json())
    const patched = await app.inject({ method: 'PATCH', url: `/shops/${post.json().id}`, payload: { address: { zip: '69001' } } })
    t.equal(patched.json().address.zip, '69001', 'PATCH changes one field of the embedded object')
    t.equal(patched.json().address.city, 'Lyon', 'and leaves the others')
    const sorted = (await app.inject('/shops?orderby.address.city=asc&fields=id,address.city')).json()
    t.same(sorted.map((shop: { address: { city: string } }) => shop.address.city), ['Brest', 'Lyon'])
    t.same(Object.keys(sorted[0]), ['id', 'address'], 'fields= with a dotted path answers just that')
    t.same((await app.inject('/shops?where.address.city.eq=Brest')).json().length, 1)
    const missing = problemOf(t, await app.inject({ method: 'POST', url: '/shops', payload: { name: 'x', address: { street: 's' } } }), 400)
    t.match(JSON.stringify(missing.errors), /city/, 'a required field of the embedded object is required')
    problemOf(t, await app.inject({ method: 'POST', url: '/shops', payload: { name: 'x', address: { street: 's', city: 'c', moon: 1 } } }), 400)
  })

  await t.test('single-table inheritance: each type sees and writes its own rows', async (t) => {
    const car = (await app.inject({ method: 'POST', url: '/cars', payload: { name: 'Clio', doors: 5 } })).json()
    const bike = (await app.inject({ method: 'POST', url: '/bikes', payload: { name: 'Brompton', gears: 6 } })).json()
    const rows = await app.db.query('SELECT id, kind FROM vehicles ORDER BY id')
    t.same(rows, [{ id: car.id, kind: 'car' }, { id: bike.id, kind: 'bike' }], 'the discriminator is stamped')
    t.equal((await app.inject(`/cars/${bike.id}`)).statusCode, 404, 'a bike is not a car')
    t.equal((await app.inject({ method: 'PATCH', url: `/cars/${bike.id}`, payload: { doors: 3 } })).statusCode, 404)
    t.equal((await app.inject({ method: 'DELETE', url: `/cars/${bike.id}` })).statusCode, 404, 'nor can it be deleted as one')
    t.same((await app.inject('/cars')).json().map((row: { id: number }) => row.id), [car.id])
    const { rows: vehicles } = await walkPages(app, '/vehicles?limit=1')
    t.same(vehicles.map((row) => row.id), [car.id, bike.id], 'the root entity sees every row')
  })

  await t.test('soft delete: DELETE stamps the row, which then is gone from every route', async (t) => {
    const memo = await app.inject({ method: 'POST', url: '/memos', payload: { text: 'keep me' } })
    const id = memo.json().id
    t.equal(memo.json().deletedAt, null)
    t.equal((await app.inject({ method: 'DELETE', url: `/memos/${id}`, headers: { 'if-match': '"1"' } })).statusCode, 204)
    const [row] = await app.db.query('SELECT deletedAt, version FROM memos WHERE id = ?', [id])
    t.ok(row.deletedAt instanceof Date, 'the row is still there, stamped')
    t.equal(row.version, 2, 'the version moved, as TypeORM softRemove moves it')
    t.equal((await app.inject(`/memos/${id}`)).statusCode, 404)
    t.same((await app.inject('/memos')).json(), [])
    t.equal((await app.inject({ method: 'PATCH', url: `/memos/${id}`, payload: { text: 'x' } })).statusCode, 404)
    t.equal((await app.inject({ method: 'DELETE', url: `/memos/${id}` })).statusCode, 404, 'deleting twice is a 404')
    t.equal((await app.inject('/memos?totalCount=true')).headers['x-total-count'], '0')
  })
})
