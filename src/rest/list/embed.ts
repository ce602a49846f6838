import { quoteIdentifier } from '../naming'
import { selectedAs } from '../select-list'
import { rowMapperOf, type RowMapper } from '../row-mapper'
import type { RowAccess } from '../row-source'
import type { Embed, ListRequest } from './parse'
import { paddedLength } from './conditions'
import { embedKey } from './plan'

type Row = Record<string, unknown>

interface ToManyStatement {
  sql: string
  mapRows: RowMapper
}

/** Distinct to-many statements kept per entity; past this the cache starts over. */
const MAX_CACHED_STATEMENTS = 200

/**
 * To-many embeds (`include=books` on authors): one statement per relation for the whole page,
 * whatever its size — never one per row. Each parent gets at most `limit.<relation>` rows in
 * `orderby.<relation>.*` order (then the related primary key), cut per parent by
 * `ROW_NUMBER() OVER (PARTITION BY <foreign key> ...)` in the database, so a parent with
 * thousands of related rows sends only those it shows. The page's keys are an `IN` list
 * padded to a power of two, as filter lists are, so the server prepares few statements.
 */
export class ToManyEmbedder {
  private readonly statements = new Map<string, ToManyStatement>()

  /** Fills `rows[i][relation]` with an array for every to-many embed of the request. */
  async embed(access: RowAccess, rows: Row[], request: ListRequest): Promise<void> {
    for (const embed of request.embeds) {
      if (embed.relation.kind !== 'to-many') continue
      const byParent = new Map<string, Row[]>()
      const keys: unknown[] = []
      for (const row of rows) {
        const children: Row[] = []
        row[embed.relation.name] = children
        const key = row[embedKey(embed)]
        if (key === null || key === undefined) continue
        const text = keyText(key)
        if (!byParent.has(text)) keys.push(key)
        byParent.set(text, children)
      }
      if (keys.length === 0) continue
      const padded = paddedLength(keys.length)
      const owner = request.owners.get(embed.relation)
      const statement = this.statementFor(embed, padded, owner !== undefined)
      const values: unknown[] = [...embed.relation.target.scope.values]
      if (owner) values.push(owner.subject)
      values.push(...keys)
      for (let i = keys.length; i < padded; i++) values.push(keys[keys.length - 1])
      values.push(String(embed.limit))
      const children = await access.run<Row>(statement.sql, values)
      statement.mapRows(children)
      for (const child of children) byParent.get(keyText(child._parent))?.push(child)
    }
  }

  private statementFor(embed: Embed, parents: number, owned: boolean): ToManyStatement {
    const { relation } = embed
    const shape = `${relation.name}${owned ? '@' : ''}#${parents}|${embed.fields ? embed.fields.map((field) => field.name).join(',') : '*'}|${embed.sort.map((term) => `${term.field.name}${term.descending ? '-' : '+'}`).join(',')}`
    let statement = this.statements.get(shape)
    if (statement === undefined) {
      if (this.statements.size >= MAX_CACHED_STATEMENTS) this.statements.clear()
      statement = buildStatement(embed, parents, owned)
      this.statements.set(shape, statement)
    }
    return statement
  }
}

function buildStatement(embed: Embed, parents: number, owned: boolean): ToManyStatement {
  const { target, targetColumn } = embed.relation
  const table = target.sqlTable
  const fields = embed.fields ?? target.readable
  const order = [...embed.sort]
  if (!order.some((term) => term.field === target.primary)) order.push({ field: target.primary, descending: false })
  const orderSql = order.map((term) => `${table}.${term.field.sqlColumn} ${term.descending ? 'DESC' : 'ASC'}`).join(', ')
  const columns = fields.map((field) => selectedAs(field, field.name, `${table}.${field.sqlColumn}`))
  columns.push(`${table}.${targetColumn} AS ${quoteIdentifier('_parent')}`)
  columns.push(`ROW_NUMBER() OVER (PARTITION BY ${table}.${targetColumn} ORDER BY ${orderSql}) AS ${quoteIdentifier('_rank')}`)
  const conditions = [target.scope.sql]
  if (owned) conditions.push(`${table}.${target.access.owner!.sqlColumn} = ?`)
  conditions.push(`${table}.${targetColumn} IN (${new Array(parents).fill('?').join(', ')})`)
  const inner = `SELECT ${columns.join(', ')} FROM ${table} WHERE ${conditions.filter(Boolean).join(' AND ')}`
  return {
    sql: `SELECT * FROM (${inner}) AS ${quoteIdentifier('ranked')} WHERE ${quoteIdentifier('_rank')} <= ? ORDER BY ${quoteIdentifier('_parent')}, ${quoteIdentifier('_rank')}`,
    mapRows: rowMapperOf(fields)
  }
}

/** A raw key as a map key: a binary key (a uuid stored as BINARY(16)) by its bytes. */
function keyText(key: unknown): string {
  return Buffer.isBuffer(key) ? key.toString('hex') : String(key)
}
