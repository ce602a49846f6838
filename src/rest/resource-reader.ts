import type { Statement } from '../db/pooled-query'
import { quoteIdentifier } from './naming'
import { selectedAs } from './select-list'
import { etagOf } from './preconditions'
import type { ResourceModel, RestField } from './resource-model'
import { ownerCondition, type OwnerScope } from './access'
import { rowMapperOf, type RowMapper } from './row-mapper'
import type { RowAccess, RowSource } from './row-source'
import { paddedValues } from './list/conditions'

/** Row property the version is also read into, for the ETag, whether or not it is a selected field. */
export const HIDDEN_VERSION_KEY = '_version'

/** Most keys one by-keys SELECT binds. */
const MAX_KEYS_PER_READ = 1024

/** Distinct `fields=` sets kept per entity; past this the cache starts over. */
const MAX_CACHED_SELECTIONS = 200

/** What one set of fields reads: the select list, and how its rows become JSON. */
export interface Selection {
  fields: readonly RestField[]
  /** `col AS name, ...`, usable after SELECT and after INSERT ... RETURNING. */
  columns: string
  mapRows: RowMapper
  byId: Statement
  /** The same, locking the row until the transaction ends (a write's read of the row it changes). */
  byIdForUpdate: Statement
}

type Row = Record<string, unknown>

/**
 * Reads rows of one entity by primary key on the fast path: the SELECT and the row mapping
 * are built once per set of fields, here, from metadata; a request only binds its id. The
 * version is always read too, under a key the response schema leaves out, so every answer
 * has its ETag whatever `fields=` selects.
 */
export class ResourceReader {
  private readonly selections = new Map<string, Selection>()

  constructor(
    private readonly model: ResourceModel,
    private readonly source: RowSource
  ) {}

  /**
   * The select list and row mapping for `fields` (every readable field when undefined); `owned`:
   * its by-key SELECTs also require the owner column to match (a bound subject after the scope's values).
   */
  selection(fields?: readonly RestField[], owned = false): Selection {
    let key = fields && fields !== this.model.readable ? fields.map((field) => field.name).join(',') : '*'
    if (owned) key = `owned:${key}`
    let selection = this.selections.get(key)
    if (selection === undefined) {
      if (this.selections.size >= MAX_CACHED_SELECTIONS) this.selections.clear()
      selection = this.buildSelection(fields ?? this.model.readable, owned)
      this.selections.set(key, selection)
    }
    return selection
  }

  /**
   * One row by key as JSON, or undefined (also when `owner` restricts the caller to rows it does
   * not own); `access` defaults to a read of its own (a write passes its transaction's).
   */
  findById(id: unknown, fields?: readonly RestField[], access?: RowAccess, owner?: OwnerScope): Promise<Row | undefined> {
    const read = async (on: RowAccess) => {
      const selection = this.selection(fields, owner !== undefined)
      const rows = await on.run<Row>(selection.byId, this.keyValues(id, owner))
      return rows.length === 0 ? undefined : (await on.json(rows, selection.fields, selection.mapRows))[0]
    }
    return access ? read(access) : this.source.read(read)
  }

  /**
   * Rows by key as JSON, in key order: a bulk write's answer. `keys` are as stored (a bulk's
   * locked keys), read in runs of at most 1024, each padded as list filters are.
   */
  async findByKeys(keys: readonly unknown[], fields: readonly RestField[] | undefined, access: RowAccess): Promise<Row[]> {
    const selection = this.selection(fields)
    const { model } = this
    const rows: Row[] = []
    for (let start = 0; start < keys.length; start += MAX_KEYS_PER_READ) {
      const run = paddedValues(keys.slice(start, start + MAX_KEYS_PER_READ))
      const where = [model.scope.sql, `${model.primary.sqlColumn} IN (${new Array(run.length).fill('?').join(', ')})`].filter(Boolean).join(' AND ')
      const sql = `SELECT ${selection.columns} FROM ${model.sqlTable} WHERE ${where} ORDER BY ${model.primary.sqlColumn}`
      rows.push(...(await access.run<Row>(sql, [...model.scope.values, ...run])))
    }
    return access.json(rows, selection.fields, selection.mapRows)
  }

  /** One row by key as the database holds it (not mapped), locked for the rest of the transaction. */
  async lockRawById(id: unknown, access: RowAccess, owner?: OwnerScope): Promise<Row | undefined> {
    const rows = await access.run<Row>(this.selection(undefined, owner !== undefined).byIdForUpdate, this.keyValues(id, owner))
    return rows[0]
  }

  /** `lockRawById` for a soft-deleted row (a restore's, for its entity events); undefined when it is not deleted. */
  async lockDeletedRawById(id: unknown, access: RowAccess, owner?: OwnerScope): Promise<Row | undefined> {
    const { model } = this
    const scope = model.scopeWithDeleted
    const where = [scope.sql, ownerCondition(model, owner !== undefined), `${model.primary.sqlColumn} = ?`, `${model.deleteDate!.sqlColumn} IS NOT NULL`]
    const sql = `SELECT ${this.selection().columns} FROM ${model.sqlTable} WHERE ${where.filter(Boolean).join(' AND ')} FOR UPDATE`
    const rows = await access.run<Row>(sql, [...scope.values, ...(owner ? [owner.subject] : []), id])
    return rows[0]
  }

  /** Bind values of a by-key SELECT: the scope's, the owner's subject when owned, the key. */
  private keyValues(id: unknown, owner: OwnerScope | undefined): unknown[] {
    return owner ? [...this.model.scope.values, owner.subject, id] : [...this.model.scope.values, id]
  }

  /** The row's ETag, or undefined for an entity without a version column. */
  etagOf(row: Row): string | undefined {
    return this.model.version === undefined ? undefined : etagOf(row[HIDDEN_VERSION_KEY])
  }

  private buildSelection(fields: readonly RestField[], owned: boolean): Selection {
    const { model } = this
    const columns = fields.map((field) => selectedAs(field, field.name))
    if (model.version) columns.push(`${model.version.sqlColumn} AS ${quoteIdentifier(HIDDEN_VERSION_KEY)}`)
    const where = [model.scope.sql, ownerCondition(model, owned), `${model.primary.sqlColumn} = ?`].filter(Boolean).join(' AND ')
    const columnList = columns.join(', ')
    const select = `SELECT ${columnList} FROM ${model.sqlTable} WHERE ${where} LIMIT 1`
    return {
      fields,
      columns: columnList,
      mapRows: rowMapperOf(fields),
      byId: select,
      byIdForUpdate: `${select} FOR UPDATE`
    }
  }
}
