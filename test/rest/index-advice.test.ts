import t from 'tap'
import { Column, DataSource, Entity, Index, PrimaryColumn } from 'typeorm'
import { dataSourceOptions } from '../../src/db/data-source-options'
import type { StartupLog } from '../../src/db/wait-for-database'
import { adviseIndexes, findIndexGaps, MissingIndexesError } from '../../src/rest/index-advice'
import { RestResource } from '../../src/rest/resource'
import { buildResourceModel } from '../../src/rest/resource-model'
import { restCheck } from '../../src/tools/rest-check'
import { createTestDatabase } from '../helper'

// Issue 14 §1: the advice reads the live schema (information_schema.STATISTICS), not the
// decorators, so the tables below are created by hand and may differ from what the entities say.

@Entity('advice_gadgets')
@Index('UQ_advice_gadgets_sku_region', ['sku', 'region'], { unique: true })
@RestResource<Gadget>({ writable: [], filterable: ['id', 'name', 'sku'], sortable: ['id', 'name', 'sku', 'color'] })
class Gadget {
  @PrimaryColumn({ type: 'int' }) id: number
  @Index('IDX_advice_gadgets_name') @Column({ type: 'varchar', length: 40 }) name: string
  @Column({ type: 'varchar', length: 20 }) sku: string
  @Column({ type: 'varchar', length: 10 }) region: string
  @Column({ type: 'varchar', length: 20 }) color: string
}

@Entity('advice_notes')
@RestResource<Note>({ writable: [], filterable: ['body', 'summary', 'region', 'title'], sortable: ['title'] })
class Note {
  @PrimaryColumn({ type: 'int' }) id: number
  @Column({ type: 'varchar', length: 100 }) title: string
  @Column({ type: 'text' }) body: string
  @Column({ type: 'text' }) summary: string
  @Column({ type: 'varchar', length: 10 }) code: string
  @Column({ type: 'varchar', length: 10 }) region: string
}

const SCHEMA = [
  'CREATE TABLE advice_gadgets (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL, sku VARCHAR(20) NOT NULL, region VARCHAR(10) NOT NULL, ' +
    'color VARCHAR(20) NOT NULL, INDEX IDX_advice_gadgets_name (name), UNIQUE INDEX UQ_advice_gadgets_sku_region (sku, region))',
  'CREATE TABLE advice_notes (id INT PRIMARY KEY, title VARCHAR(100) NOT NULL, body TEXT NOT NULL, summary TEXT NOT NULL, code VARCHAR(10) NOT NULL, ' +
    'region VARCHAR(10) NOT NULL, FULLTEXT INDEX FT_advice_notes_title (title), INDEX IDX_advice_notes_body (body(50)), ' +
    'INDEX IDX_advice_notes_code_region (code, region))'
]

const GADGET_COLOR =
  'Gadget.color is sortable but no index starts with advice_gadgets.color: every sorted page scans and sorts the table; ' +
  'add @Index() to Gadget.color (or REST_REQUIRE_INDEXES=1 refuses to start)'

/** A StartupLog that keeps what it is told. */
function recordingLog() {
  const warnings: Array<{ fields: object; message: string }> = []
  const log: StartupLog = { info: () => undefined, warn: (fields, message) => warnings.push({ fields, message }) }
  return { log, warnings }
}

t.test('index advice', async (t) => {
  const config = await createTestDatabase(t, { migrate: false })
  const dataSource = new DataSource({ ...dataSourceOptions(config, { entities: [Gadget, Note] }), migrations: [] })
  await dataSource.initialize()
  t.teardown(() => dataSource.destroy())
  for (const statement of SCHEMA) await dataSource.query(statement)
  const gadgets = buildResourceModel(dataSource.getMetadata(Gadget))
  const notes = buildResourceModel(dataSource.getMetadata(Note))

  t.test('one indexed, one unindexed sortable field and a composite unique index: exactly one warning, naming the unindexed one', async (t) => {
    const { log, warnings } = recordingLog()
    const gaps = await adviseIndexes(dataSource, [gadgets], { requireIndexes: false, log })
    t.same(warnings, [
      { fields: { entity: 'Gadget', field: 'color', table: 'advice_gadgets', column: 'color', sortable: true, filterable: false }, message: GADGET_COLOR }
    ], 'the primary key serves id, a plain index name, the composite unique index (sku first) sku')
    t.equal(gaps.length, 1)
  })

  t.test('FULLTEXT serves nothing, a prefix index serves filters (and is the advice for TEXT), a second column of a composite index does not count', async (t) => {
    const gaps = await findIndexGaps(dataSource, [notes])
    t.same(
      gaps.map(({ field, sortable, filterable }) => ({ field, sortable, filterable })),
      [
        { field: 'summary', sortable: false, filterable: true },
        { field: 'region', sortable: false, filterable: true },
        { field: 'title', sortable: true, filterable: true }
      ]
    )
    t.equal(
      gaps[0].message,
      'Note.summary is filterable but no index starts with advice_notes.summary: every filtered page scans the table; add a prefix index ' +
        'in a migration (CREATE INDEX ... ON advice_notes (summary(100))) or leave Note.summary out of "filterable" (or REST_REQUIRE_INDEXES=1 refuses to start)',
      'a TEXT column takes no @Index() without a length: a prefix index instead'
    )
    t.match(gaps[2].message, /^Note\.title is sortable and filterable but no index starts with advice_notes\.title: .*add @Index\(\) to Note\.title/)
  })

  t.test('REST_REQUIRE_INDEXES: a refusal in one line naming every field, and no warnings', async (t) => {
    const { log, warnings } = recordingLog()
    const refusal = await adviseIndexes(dataSource, [gadgets, notes], { requireIndexes: true, log }).catch((err: Error) => err)
    t.ok(refusal instanceof MissingIndexesError)
    t.equal(
      (refusal as Error).message,
      '4 fields lack an index (REST_REQUIRE_INDEXES is on): Gadget.color (advice_gadgets.color), Note.summary (advice_notes.summary), Note.region (advice_notes.region), ' +
        'Note.title (advice_notes.title); add an @Index() to each and a migration, or run `npm run rest:check` for the advice'
    )
    t.notMatch((refusal as Error).message, /\n/, 'one line')
    t.same(warnings, [])
    t.same(await adviseIndexes(dataSource, [], { requireIndexes: true, log }), [], 'nothing exposed, nothing refused')
  })

  // The CLI itself runs in test/server/index-advice.test.ts; this is its logic in-process.
  t.test('rest:check prints a line per field and a count, and returns 1; a schema behind the entities is reported instead', async (t) => {
    const lines: string[] = []
    t.equal(await restCheck(dataSource, (line) => lines.push(line)), 1)
    t.same(lines.map((line) => line.split(' ')[0]), ['Gadget.color', 'Note.summary', 'Note.region', 'Note.title', '4'])
    t.equal(lines.at(-1), '4 fields lack an index')

    await dataSource.query('ALTER TABLE advice_gadgets DROP COLUMN color')
    lines.length = 0
    t.equal(await restCheck(dataSource, (line) => lines.push(line)), 1)
    t.same(lines, [
      'the database schema is behind the entities: Gadget needs column color in table advice_gadgets; ' +
        'write a migration with `npm run migration:generate -- migrations/<name>` and apply it'
    ])
  })
})
