import { ScanTooLargeError, type FieldError } from '../../http/errors'
import type { Statement } from '../../db/pooled-query'
import { remedyOf } from '../index-advice'
import type { ResourceModel } from '../resource-model'
import type { RowAccess } from '../row-source'
import { firstPageStatement, type ListStatements } from './execute'
import { conditionsOf, type Condition, type ListRequest, type SortTerm } from './parse'
import type { ListPlan } from './plan'
import { explain, rowsToFill, type QueryPlan } from './query-plan'
import { RELEVANCE } from './search'
import { MAX_LIST_LIMIT } from './value-schemas'

/** Why a statement is refused: its estimate, and the errors[] entry naming what would serve it. */
interface Refusal {
  scanRows: number
  error: FieldError
}

interface Verdict {
  at: number
  refusal: Promise<Refusal | undefined>
}

/** Statements judged, per entity; the least recently used is forgotten past this. */
const MAX_VERDICTS = 300
/** How long a verdict holds: an index added, or a table grown past the bound, is seen within this. */
const VERDICT_TTL_MS = 5 * 60_000
/** The page every shape is judged at: the widest one, from the start (OFFSET is REST_MAX_OFFSET's bound, per request). */
const WIDEST_PAGE = { limit: MAX_LIST_LIMIT, offset: 0 }

/**
 * REST_MAX_SCAN_ROWS: a list whose plan would read more rows than the bound is a 400 that
 * names what would serve it (an index on the sorted or filtered field, a narrower filter, a
 * planned count) before it holds a pooled connection for a full scan. EXPLAIN runs before the
 * first run of each statement text (a list shape) and its verdict is kept per text: the plan
 * of a shape hardly depends on its values where it matters — a filter or sort no index serves
 * reads the whole table whatever the value — while an indexed range's estimate does vary with
 * its bounds, and is judged by the first request's values. Keying by text also shares one
 * verdict between page shapes whose count statements are the same.
 *
 * What is judged: the first page's SELECT at the widest limit and offset 0 (deep offsets are
 * REST_MAX_OFFSET's, checked per request), and an exact count's SELECT COUNT(*). Planned and
 * estimated counts are not judged: they never read more than REST_COUNT_EXACT_BELOW rows.
 */
export class ScanBound {
  /** By SQL text (plus the owner, under an owner rule). */
  private readonly verdicts = new Map<string, Verdict>()

  constructor(
    private readonly model: ResourceModel,
    private readonly maxScanRows: number
  ) {}

  /** Throws ScanTooLargeError when the page or the exact count of `request` would read too much. */
  async check(access: RowAccess, plan: ListPlan, request: ListRequest, statements: ListStatements): Promise<void> {
    const page = firstPageStatement(this.model, plan, request, WIDEST_PAGE)
    const pageRows = (estimate: QueryPlan) => rowsToFill(estimate, WIDEST_PAGE.limit + 1)
    // Under an owner rule one SQL text serves every owner, whose row counts differ: a verdict per owner.
    const owner = request.ownerScoped ? `\u0000${String(request.where[0]?.value)}` : ''
    const judged = [this.verdictOf(page.sql + owner, () => this.judge(access, page, pageRows, (estimate, rows) => this.pageRefusal(request, estimate, rows)))]
    const { count } = statements
    if (count?.kind === 'exact') {
      judged.push(this.verdictOf(count.sql + owner, () => this.judge(access, count, (estimate) => estimate.scanRows, (_estimate, rows) => this.countRefusal(rows))))
    }
    for (const refusal of await Promise.all(judged)) {
      if (refusal) throw Object.assign(new ScanTooLargeError(`${this.lead(refusal, request)}: ${refusal.error.message}`), { errors: [refusal.error] })
    }
  }

  private verdictOf(sql: string, judge: () => Promise<Refusal | undefined>): Promise<Refusal | undefined> {
    const now = Date.now()
    const kept = this.verdicts.get(sql)
    // Removed either way: kept, it moves to the end (the Map's order is the least recently used
    // first); expired, it is judged again below and must not count against the bound.
    this.verdicts.delete(sql)
    if (kept !== undefined && now - kept.at < VERDICT_TTL_MS) {
      this.verdicts.set(sql, kept)
      // An EXPLAIN shared with the request that started it fails with it (that client hung up, say): judge again, on this request's access.
      return kept.refusal.catch(() => judge())
    }
    if (this.verdicts.size >= MAX_VERDICTS) this.verdicts.delete(this.verdicts.keys().next().value!)
    // The promise is kept, so requests of a new shape that arrive together share one EXPLAIN; a failed one is forgotten.
    const refusal = judge()
    this.verdicts.set(sql, { at: now, refusal })
    refusal.catch(() => {
      if (this.verdicts.get(sql)?.refusal === refusal) this.verdicts.delete(sql)
    })
    return refusal
  }

  private async judge(
    access: RowAccess,
    statement: { sql: Statement; values: unknown[] },
    rowsRead: (estimate: QueryPlan) => number,
    refusalOf: (estimate: QueryPlan, rows: number) => Refusal
  ): Promise<Refusal | undefined> {
    const estimate = await explain(access.run, statement.sql, statement.values)
    const rows = rowsRead(estimate)
    return rows > this.maxScanRows ? refusalOf(estimate, rows) : undefined
  }

  /** The estimate is left out under an owner rule: it is drawn from the whole table, rows the caller may not see included. */
  private lead(refusal: Refusal, request: ListRequest): string {
    const rows = request.ownerScoped ? 'more rows' : `about ${refusal.scanRows} rows`
    return `this list would read ${rows}, more than REST_MAX_SCAN_ROWS (${this.maxScanRows})`
  }

  /**
   * Names what would serve the page: when its rows are sorted after reading them, an index
   * giving the requested order (or, without a requested sort, a narrower filter: an index found
   * the matches, and all of them are sorted by the primary key); else the filters no index serves.
   */
  private pageRefusal(request: ListRequest, estimate: QueryPlan, scanRows: number): Refusal {
    if (estimate.filesort && request.sort.length > 0) return { scanRows, error: this.sortRefusal(request.sort) }
    const used = new Set(estimate.usedKeyParts.map((column) => column.toLowerCase()))
    const conditions = conditionsOf(request)
    // A filter through a relation is read from the related table (a join, a subquery it may materialise): no index of this table serves it.
    const unserved = conditions.filter((condition) => condition.relation !== undefined || !used.has(condition.field.column.toLowerCase()))
    if (estimate.filesort || unserved.length === 0) {
      const served = conditions.filter((condition) => !unserved.includes(condition))
      if (served.length === 0) return { scanRows, error: { path: 'querystring', message: 'no filter narrows the rows an index can find: add a filter on an indexed field' } }
      const message = `the filter on ${[...new Set(served.map(nameOf))].join(', ')} matches too many rows, all read${estimate.filesort ? ' and sorted' : ''}: narrow it, or add a filter on another indexed field`
      return { scanRows, error: { path: pathOf(served[0]), message } }
    }
    const named = new Map(unserved.map((condition) => [nameOf(condition), condition]))
    const remedies = [...named.values()].map(({ relation, field }) => {
      const entity = relation?.target ?? this.model
      return remedyOf(entity.name, entity.metadata.tableName, field)
    })
    const message = `no index serves the filter on ${[...named.keys()].join(', ')}: ${remedies.join('; or ')}; or add a filter on an indexed field`
    return { scanRows, error: { path: pathOf(unserved[0]), message } }
  }

  /** The sort keys no index gives: one field's @Index(), or the composite index of several. */
  private sortRefusal(sort: readonly SortTerm[]): FieldError {
    const { model } = this
    const names = sort.map(nameOf)
    const path = `querystring.orderby.${names[0]}`
    const sorting = `sorting by ${names.join(', ')} reads and sorts every matching row`
    const through = sort.find((term) => term.relation !== undefined || term.field === RELEVANCE)
    if (through?.field === RELEVANCE) return { path, message: `${sorting}; narrow the search or add a filter on an indexed field` }
    if (through) {
      return { path, message: `${sorting}; no index of ${model.name} gives an order through ${through.relation!.name}: add a filter on an indexed field, or sort by indexed fields of ${model.name}` }
    }
    const remedy =
      sort.length === 1
        ? `${remedyOf(model.name, model.metadata.tableName, sort[0].field)} (an index starting with ${sort[0].field.column} gives the order without sorting)`
        : `add @Index([${sort.map((term) => `'${term.field.name}'`).join(', ')}]) to the ${model.name} class (an index on (${sort.map((term) => term.field.column).join(', ')}) gives the order without sorting)`
    return { path, message: `${sorting}; ${remedy}, or add a filter on an indexed field` }
  }

  private countRefusal(scanRows: number): Refusal {
    const message = 'an exact count reads every matching row: ask totalCount=planned or totalCount=estimated, or add a filter on an indexed field'
    return { scanRows, error: { path: 'querystring.totalCount', message } }
  }
}

/** The query key of a condition, for errors[].path. */
function pathOf(condition: Condition): string {
  return `querystring.where.${condition.negated ? 'not.' : ''}${nameOf(condition)}.${condition.op}`
}

/** A field as the grammar names it: `price`, or `books.price` through a relation. */
function nameOf(term: { relation?: { name: string }; field: { name: string } }): string {
  return term.relation ? `${term.relation.name}.${term.field.name}` : term.field.name
}
