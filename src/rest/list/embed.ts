import { quoteIdentifier } from '../naming'
import { selectedAs } from '../select-list'
import { rowMapperOf, type RowMapper } from '../row-mapper'
import type { RowAccess } from '../row-source'
import type { Embed, ListRequest } from './parse'
import { paddedValues, visibleOn, visibleValues } from './conditions'

type Row = Record<string, unknown>

interface EmbedStatement {
  sql: string
  mapRows: RowMapper
}

/** A row that gets an embed, and the key its related rows are found by. */
interface Holder {
  into: Row
  key: unknown
}

/** Distinct embed statements kept per entity; past this the cache starts over. */
const MAX_CACHED_STATEMENTS = 200

/**
 * Row property carrying the key an embed's related rows are found by (`_inc:books` on an
 * author: its id), selected whether or not a field holds it. `path` is relative to the row.
 */
export const embedKey = (path: string) => `_inc:${path}`

/**
 * Embeds read by statements of their own: every to-many embed (`include=books` on authors),
 * and every embed below the first level (`include=books.orders`). One statement per relation
 * for the whole page, whatever its size — never one per row. A to-many relation gives each
 * parent at most `limit.<relation>` rows in `orderby.<relation>.*` order (then the related
 * primary key), cut per parent by `ROW_NUMBER() OVER (PARTITION BY <key> ...)` in the
 * database, so a parent with thousands of related rows sends only those it shows. The keys are
 * an `IN` list padded to a power of two, as filter lists are, so the server prepares few
 * statements. (A first-level to-one embed is joined into the page's own statement: plan.ts.)
 */
export class Embedder {
  private readonly statements = new Map<string, EmbedStatement>()

  /** Fills the request's to-many embeds (and what they embed) into the page's rows, read but not yet mapped. */
  async embed(access: RowAccess, rows: Row[], request: ListRequest): Promise<void> {
    for (const embed of request.embeds) {
      if (embed.relation.kind === 'to-many') await this.fill(access, rows.map((row) => ({ into: row, key: row[embedKey(embed.relation.name)] })), embed, request)
    }
  }

  /**
   * Fills what a joined to-one embed embeds in turn (`include=book.author`) into the mapped
   * rows, whose joined object exists only now; the keys were selected on the page's row.
   */
  async embedUnderJoins(access: RowAccess, rows: Row[], request: ListRequest): Promise<void> {
    for (const embed of request.embeds) {
      const { name } = embed.relation
      if (embed.relation.kind !== 'to-one' || embed.children.length === 0) continue
      const joined = rows.filter((row) => row[name] !== null && typeof row[name] === 'object')
      for (const child of embed.children) {
        const holders = joined.map((row) => ({ into: row[name] as Row, key: row[embedKey(`${name}.${child.relation.name}`)] }))
        await this.fill(access, holders, child, request)
      }
    }
  }

  /** `embed` into every holder (an array, or an object or null), then its children into the rows it read. */
  private async fill(access: RowAccess, holders: Holder[], embed: Embed, request: ListRequest): Promise<void> {
    const { relation } = embed
    const many = relation.kind === 'to-many'
    const byKey = new Map<string, { key: unknown; holders: Row[] }>()
    for (const holder of holders) {
      holder.into[relation.name] = many ? [] : null
      if (holder.key === null || holder.key === undefined) continue
      const text = keyText(holder.key)
      const entry = byKey.get(text)
      if (entry) entry.holders.push(holder.into)
      else byKey.set(text, { key: holder.key, holders: [holder.into] })
    }
    if (byKey.size === 0) return
    const keys = paddedValues([...byKey.values()].map((entry) => entry.key))
    const statement = this.statementFor(embed, keys.length, request.owners.has(relation))
    const values = [...visibleValues(request, relation), ...keys]
    if (many) values.push(String(embed.limit))
    const related = await access.run<Row>(statement.sql, values)
    statement.mapRows(related)
    // Parents that share a key (orders of one book) share its related rows.
    const groups = new Map<string, Row[]>()
    for (const row of related) {
      const text = keyText(row._parent)
      const group = groups.get(text)
      if (group) group.push(row)
      else groups.set(text, [row])
    }
    for (const [text, { holders: into }] of byKey) {
      const found = groups.get(text) ?? []
      for (const holder of into) holder[relation.name] = many ? found : (found[0] ?? null)
    }
    for (const child of embed.children) {
      await this.fill(access, related.map((row) => ({ into: row, key: row[embedKey(child.relation.name)] })), child, request)
    }
  }

  private statementFor(embed: Embed, keys: number, owned: boolean): EmbedStatement {
    const shape = [
      embed.relation.target.name,
      embed.relation.name,
      owned ? '@' : '',
      keys,
      embed.fields ? embed.fields.map((field) => field.name).join(',') : '*',
      embed.sort.map((term) => `${term.field.name}${term.descending ? '-' : '+'}`).join(','),
      embed.children.map((child) => child.relation.name).join(',')
    ].join('|')
    let statement = this.statements.get(shape)
    if (statement === undefined) {
      if (this.statements.size >= MAX_CACHED_STATEMENTS) this.statements.clear()
      statement = buildStatement(embed, keys, owned)
      this.statements.set(shape, statement)
    }
    return statement
  }
}

function buildStatement(embed: Embed, keys: number, owned: boolean): EmbedStatement {
  const { target, targetColumn, kind } = embed.relation
  const table = target.sqlTable
  const fields = embed.fields ?? target.readable
  const columns = fields.map((field) => selectedAs(field, field.name, `${table}.${field.sqlColumn}`))
  columns.push(`${table}.${targetColumn} AS ${quoteIdentifier('_parent')}`)
  for (const child of embed.children) columns.push(`${table}.${child.relation.parentColumn} AS ${quoteIdentifier(embedKey(child.relation.name))}`)
  const where = [...visibleOn(embed.relation, table, owned), `${table}.${targetColumn} IN (${new Array(keys).fill('?').join(', ')})`].join(' AND ')
  const mapRows = rowMapperOf(fields)
  if (kind === 'to-one') return { sql: `SELECT ${columns.join(', ')} FROM ${table} WHERE ${where}`, mapRows }
  const order = [...embed.sort]
  if (!order.some((term) => term.field === target.primary)) order.push({ field: target.primary, descending: false })
  const orderSql = order.map((term) => `${table}.${term.field.sqlColumn} ${term.descending ? 'DESC' : 'ASC'}`).join(', ')
  columns.push(`ROW_NUMBER() OVER (PARTITION BY ${table}.${targetColumn} ORDER BY ${orderSql}) AS ${quoteIdentifier('_rank')}`)
  const ranked = quoteIdentifier('_rank')
  return {
    sql: `SELECT * FROM (SELECT ${columns.join(', ')} FROM ${table} WHERE ${where}) AS ${quoteIdentifier('ranked')} WHERE ${ranked} <= ? ORDER BY ${quoteIdentifier('_parent')}, ${ranked}`,
    mapRows
  }
}

/** A raw key as a map key: a binary key (a uuid stored as BINARY(16)) by its bytes. */
function keyText(key: unknown): string {
  return Buffer.isBuffer(key) ? key.toString('hex') : String(key)
}
