import type { DataSource, EntityMetadata, ObjectLiteral, QueryRunner } from 'typeorm'
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata'
import type { FieldValue, WritableColumn } from './body-values'
import { hydrate, jsonOfEntityValue, persist, sameEntityValue } from './entity-values'
import { quoteIdentifier } from './naming'
import type { ResourceModel, RestField } from './resource-model'
import { setPath, type RowMapper } from './row-mapper'

type Row = Record<string, unknown>

/** Events TypeORM broadcasts around a write, by the write's kind. */
export type WriteEvent = 'Insert' | 'Update' | 'Remove' | 'SoftRemove' | 'Recover'

/**
 * Whether TypeORM would run code of the application around this entity's reads and writes:
 * entity listeners (`@AfterLoad`, `@BeforeInsert`, ...) or subscribers. Decided at start-up.
 */
export function needsEntityEvents(dataSource: DataSource, metadata: EntityMetadata): boolean {
  return metadata.listeners.length > 0 || dataSource.subscribers.length > 0
}

/**
 * TypeORM's entity events around the generated routes' own SQL, for entities that need them:
 * rows become entity instances exactly as TypeORM hydrates them, TypeORM's own Broadcaster
 * calls the listeners and subscribers (so `listenTo()`, inheritance and async listeners
 * behave as in TypeORM), and whatever a listener changed is written, or answered, as TypeORM
 * would write or hydrate it. Values no listener touched keep their exact forms.
 */
export class EntityEvents {
  private readonly metadata: EntityMetadata
  /** Columns a before-listener may set that a body cannot (a stamp, a slug, a computed field). */
  private readonly insertable: WritableColumn[]
  private readonly updatable: WritableColumn[]

  constructor(
    private readonly dataSource: DataSource,
    model: ResourceModel
  ) {
    this.metadata = model.metadata
    const plain = model.metadata.columns.filter(isPlainColumn)
    this.insertable = plain.filter((column) => column.isInsert).map(asWritable)
    this.updatable = plain.filter((column) => column.isUpdate).map(asWritable)
  }

  /** Raw rows (before mapping) -> JSON rows, after AfterLoad listeners and subscribers saw them as entities. */
  async afterLoad(runner: QueryRunner, rows: Row[], fields: readonly RestField[], mapRows: RowMapper): Promise<Row[]> {
    const entities = rows.map((raw) => this.entityOf(raw, fields))
    const before = entities.map((entity) => fields.map((field) => field.metadata.getEntityValue(entity)))
    mapRows(rows)
    await runner.broadcaster.broadcast('Load', this.metadata, entities)
    entities.forEach((entity, i) => {
      fields.forEach((field, j) => {
        const after = field.metadata.getEntityValue(entity)
        if (sameEntityValue(before[i][j], after)) return
        const json = jsonOfEntityValue(field.codec, Number(field.metadata.precision ?? 0), after)
        rows[i][field.name] = json
        if (field.name.includes('.')) setPath(rows[i], field.name.split('.'), json)
      })
    })
    return rows
  }

  /** An instance holding a raw row's values, hydrated as TypeORM hydrates them. */
  entityOf(raw: Row, fields: readonly RestField[]): ObjectLiteral {
    return this.merge(this.metadata.create() as ObjectLiteral, raw, fields)
  }

  /**
   * Runs the before-listeners of a write on `entity` (which already holds the request's
   * values) and returns the values to write: the request's own where no listener changed them,
   * plus every column a listener set or changed, bound as TypeORM binds it.
   */
  async before(
    event: WriteEvent,
    runner: QueryRunner,
    entity: ObjectLiteral,
    databaseEntity: ObjectLiteral | undefined,
    values: FieldValue[]
  ): Promise<FieldValue[]> {
    const columns = event === 'Insert' ? this.insertable : this.updatable
    const given = new Map(values.map((each) => [each.field.metadata, each]))
    const before = new Map(columns.map((column) => [column.metadata, column.metadata.getEntityValue(entity)]))
    await broadcast(runner, `Before${event}`, this.metadata, entity, databaseEntity)
    if (event === 'Remove' || event === 'SoftRemove' || event === 'Recover') return values
    const written: FieldValue[] = []
    for (const column of columns) {
      const after = column.metadata.getEntityValue(entity)
      const own = given.get(column.metadata)
      if (sameEntityValue(before.get(column.metadata), after)) {
        if (own) written.push(own)
      } else if (after !== undefined) {
        written.push({ field: own?.field ?? column, value: persist(this.dataSource.driver, column.metadata, after) })
      }
    }
    return written
  }

  /** Runs the after-listeners of a write. */
  async after(event: WriteEvent, runner: QueryRunner, entity: ObjectLiteral, databaseEntity: ObjectLiteral | undefined): Promise<void> {
    await broadcast(runner, `After${event}`, this.metadata, entity, databaseEntity)
  }

  /** Puts what the database now holds (generated key, version, dates) on the instance, after a write. */
  merge(entity: ObjectLiteral, raw: Row, fields: readonly RestField[]): ObjectLiteral {
    for (const field of fields) {
      if (field.name in raw) field.metadata.setEntityValue(entity, hydrate(this.dataSource.driver, field.metadata, field.codec, raw[field.name]))
    }
    return entity
  }

  /** A stored row as an update's listeners see it: as it is (the database entity), and a copy carrying the request's values. */
  pairOf(raw: Row, fields: readonly RestField[], values: FieldValue[]): { databaseEntity: ObjectLiteral; entity: ObjectLiteral } {
    return { databaseEntity: this.entityOf(raw, fields), entity: this.assign(this.entityOf(raw, fields), values) }
  }

  /** Puts the request's values on an instance, as TypeORM would hydrate them once stored. */
  assign(entity: ObjectLiteral, values: FieldValue[]): ObjectLiteral {
    for (const { field, value } of values) {
      field.metadata.setEntityValue(entity, field.codec ? hydrate(this.dataSource.driver, field.metadata, field.codec, value) : value)
    }
    return entity
  }
}

/** TypeORM's Broadcaster by event name; an insert has no database entity, which its events ignore. */
function broadcast(runner: QueryRunner, event: string, metadata: EntityMetadata, entity: ObjectLiteral, databaseEntity: ObjectLiteral | undefined) {
  const broadcaster = runner.broadcaster as unknown as { broadcast(event: string, ...args: unknown[]): Promise<void> }
  return event.endsWith('Insert') ? broadcaster.broadcast(event, metadata, entity) : broadcaster.broadcast(event, metadata, entity, databaseEntity)
}

/** A column a listener may set: stored, not generated, not maintained by TypeORM itself. */
function isPlainColumn(column: ColumnMetadata): boolean {
  if (column.isVirtual || column.isGenerated || column.generatedType) return false
  if (column.isVersion || column.isCreateDate || column.isUpdateDate || column.isDeleteDate || column.isDiscriminator) return false
  return !(column.relationMetadata && column.propertyName === column.relationMetadata.propertyName)
}

function asWritable(column: ColumnMetadata): WritableColumn {
  return { name: column.propertyPath, sqlColumn: quoteIdentifier(column.databaseName), metadata: column }
}
