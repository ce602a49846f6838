import t from 'tap'
import { ChildEntity, Column, DataSource, Entity, JoinTable, ManyToMany, PrimaryColumn, TableInheritance } from 'typeorm'
import { dataSourceOptions } from '../../src/db/data-source-options'
import { findSchemaGaps, refuseSchemaGaps, SchemaMismatchError } from '../../src/db/schema-check'
import { createTestDatabase } from '../helper'

// The check works from TypeORM's metadata alone, so it must read the shapes TypeORM maps
// differently from one class = one table: embedded columns, single-table inheritance, junctions.

class Address {
  @Column({ type: 'varchar', length: 40 }) city: string
}

@Entity('check_shops')
class Shop {
  @PrimaryColumn({ type: 'int' }) id: number
  @Column(() => Address) address: Address
}

@Entity('check_vehicles')
@TableInheritance({ column: { type: 'varchar', name: 'kind', length: 20 } })
class Vehicle {
  @PrimaryColumn({ type: 'int' }) id: number
}

@ChildEntity('car')
class Car extends Vehicle {
  @Column({ type: 'int', nullable: true }) doors: number | null
}

@Entity('check_tags')
class Tag {
  @PrimaryColumn({ type: 'int' }) id: number
}

@Entity('check_posts')
class Post {
  @PrimaryColumn({ type: 'int' }) id: number
  @ManyToMany(() => Tag)
  @JoinTable({ name: 'check_post_tags', joinColumn: { name: 'postId' }, inverseJoinColumn: { name: 'tagId' } })
  tags: Tag[]
}

const SCHEMA = [
  'CREATE TABLE check_shops (id INT PRIMARY KEY, addressCity VARCHAR(40) NOT NULL)',
  'CREATE TABLE check_vehicles (id INT PRIMARY KEY, kind VARCHAR(20) NOT NULL, doors INT NULL)',
  'CREATE TABLE check_tags (id INT PRIMARY KEY)',
  'CREATE TABLE check_posts (id INT PRIMARY KEY)',
  'CREATE TABLE check_post_tags (postId INT NOT NULL, tagId INT NOT NULL, PRIMARY KEY (postId, tagId))'
]

t.test('gaps are found for embedded columns, inheritance children and junction tables, and only for them', async (t) => {
  const config = await createTestDatabase(t, { migrate: false })
  const dataSource = new DataSource({ ...dataSourceOptions(config, { entities: [Shop, Vehicle, Car, Tag, Post] }), migrations: [] })
  await dataSource.initialize()
  t.teardown(() => dataSource.destroy())
  for (const statement of SCHEMA) await dataSource.query(statement)
  const metadataOf = (entity: Function) => dataSource.getMetadata(entity)

  t.same(await findSchemaGaps(dataSource, [Shop, Vehicle, Car, Post].map(metadataOf)), [], 'a matching schema has no gaps')

  await dataSource.query('ALTER TABLE check_shops DROP COLUMN addressCity')
  await dataSource.query('ALTER TABLE check_vehicles DROP COLUMN doors')
  await dataSource.query('DROP TABLE check_post_tags')
  t.same(await findSchemaGaps(dataSource, [Shop, Car, Post].map(metadataOf)), [
    { entity: 'Shop', table: 'check_shops', tableMissing: false, missingColumns: ['addressCity'] },
    { entity: 'Car', table: 'check_vehicles', tableMissing: false, missingColumns: ['doors'] },
    { entity: 'Post', table: 'check_post_tags', tableMissing: true, missingColumns: ['postId', 'tagId'] }
  ], 'the embedded column by its database name, the child by its parent table, the junction by its own')

  const refusal = await refuseSchemaGaps(dataSource, [Shop, Car, Post].map(metadataOf)).catch((err: Error) => err)
  t.ok(refusal instanceof SchemaMismatchError)
  t.equal(
    (refusal as Error).message,
    'the database schema is behind the entities: Shop needs column addressCity in table check_shops; ' +
      'Car needs column doors in table check_vehicles; Post needs table check_post_tags, which does not exist; ' +
      'write a migration with `npm run migration:generate -- migrations/<name>` and apply it',
    'every gap, in one line'
  )
  t.same(await findSchemaGaps(dataSource, []), [], 'no entities, nothing needed')
})
