import type { Caller } from '../../auth/caller'
import { AccessDeniedError } from '../../auth/errors'
import { grantFor, refuseForbiddenReads, type Grant } from '../access'
import type { ResourceModel, RestField } from '../resource-model'
import type { RowAccess, RowSource } from '../row-source'
import { Embedder } from './embed'
import { listStatements, runList } from './execute'
import type { SentCount } from './counts'
import { explain, rowsToFill } from './query-plan'
import { plannedStatement, type PlanAnswer } from './plan-answer'
import { ScanBound } from './scan-bound'
import { listGrammarOf, type ListGrammar } from './grammar'
import { cutPage } from './map'
import { conditionsOf, embedsOf, parseListQuery, relationsOf, type ListRequest } from './parse'
import { joinValues, ListPlanner } from './plan'
import { filterValues } from './conditions'

type Row = Record<string, unknown>

/** One page as the route answers it: JSON rows, and what the headers say. */
export interface ListPage {
  rows: Row[]
  /** `X-Total-Count`, when asked. */
  total?: string
  /** How `total` was counted: what `Preference-Applied: count=` says. */
  countKind?: SentCount
  /** The cursor of the next page, when more rows follow. */
  cursor?: string
}

/** What a list read may cost (src/config.ts). */
export interface ListCosts {
  /** REST_MAX_SCAN_ROWS; 0 = no bound. */
  maxScanRows: number
  /** REST_COUNT_EXACT_BELOW: `totalCount=estimated` counts exactly when counting reads fewer rows than this. */
  countExactBelow: number
}

export const NO_LIST_COSTS: ListCosts = { maxScanRows: 0, countExactBelow: 0 }

/**
 * One entity's list reads: a request walks parse -> plan -> execute -> map once. Also serves
 * `GET /:id` with `include=` (a list of one row), so an embed means the same on both.
 */
export class ListReader {
  readonly grammar: ListGrammar
  private readonly planner: ListPlanner
  private readonly embedder = new Embedder()
  /** Undefined without REST_MAX_SCAN_ROWS: then a read does no EXPLAIN and no work for it beyond one test. */
  private readonly scanBound: ScanBound | undefined
  private readonly countExactBelow: number

  constructor(
    private readonly model: ResourceModel,
    private readonly source: RowSource,
    costs: ListCosts = NO_LIST_COSTS
  ) {
    this.grammar = listGrammarOf(model)
    this.planner = new ListPlanner(model)
    this.scanBound = costs.maxScanRows > 0 ? new ScanBound(model, costs.maxScanRows) : undefined
    // An estimated count that counts exactly must not read more than the scan bound lets an exact one read.
    this.countExactBelow = costs.maxScanRows > 0 ? Math.min(costs.countExactBelow, costs.maxScanRows + 1) : costs.countExactBelow
  }

  /**
   * The validated query as a request the caller may make: `grant` is its grant on this entity
   * (the full one without enforcement), `caller` is set when rules are enforced.
   */
  parse(query: Record<string, unknown>, grant: Grant, caller: Caller | undefined): ListRequest {
    const { model } = this
    const request = parseListQuery(this.grammar, model.readable, query)
    if (grant.readable !== model.readable) {
      // Filtering or sorting on a field reveals its values as surely as reading it.
      // (Fields of a relation follow the related entity's rules: authorizeRelations.)
      const own = <T extends { relation?: unknown; field: RestField }>(terms: T[]) => terms.filter((term) => !term.relation).map((term) => term.field)
      refuseForbiddenReads(model, grant, [...(request.fields ?? []), ...own(conditionsOf(request)), ...own(request.sort)])
      request.fields ??= grant.readable as RestField[]
    }
    // Deleted rows are for callers who may delete (and so restore) them; the read grant's owner rule still holds.
    if (request.withDeleted && caller) grantFor(model, caller, 'delete')
    // The owner rule is one more condition of the same SQL (so counts, paging and cursors follow it).
    if (grant.owner) {
      request.where.unshift({ field: grant.owner.field, op: 'eq', value: grant.owner.subject, negated: false })
      request.ownerScoped = true
    }
    if (caller) authorizeRelations(caller, request)
    return request
  }

  /**
   * The primary keys (as stored) of every row the request's filters select, in key order, each
   * row locked until `access`'s transaction ends: the rows a bulk PATCH or DELETE touches.
   */
  async lockKeys(access: RowAccess, request: ListRequest): Promise<unknown[]> {
    const plan = this.planner.planFor(request)
    const rows = await access.run<{ key: unknown }>(plan.keysSql, [...joinValues(request, plan.countJoins), ...filterValues(this.model, request)])
    return rows.map((row) => row.key)
  }

  /** Plans, runs and maps one request: its page, its count when asked, its embeds. */
  read(request: ListRequest): Promise<ListPage> {
    const plan = this.planner.planFor(request)
    // Bound before the borrow: a forged cursor is a 400 that costs the pool nothing.
    const statements = listStatements(this.model, plan, request)
    const { scanBound } = this
    return this.source.read(async (access) => {
      if (scanBound !== undefined) await scanBound.check(access, plan, request, statements)
      const { rows, total, countKind } = await runList(access, statements, this.countExactBelow)
      const cursor = cutPage(rows, request.limit, plan)
      if (request.embeds.length === 0) return { rows: await access.json(rows, plan.fields, plan.mapRows), total, countKind, cursor }
      await this.embedder.embed(access, rows, request)
      const mapped = await access.json(rows, plan.fields, plan.mapRows)
      await this.embedder.embedUnderJoins(access, mapped, request)
      return { rows: mapped, total, countKind, cursor }
    })
  }

  /** REST_EXPLAIN: the SQL and the optimiser's plan of the page (and count) `request` would run, without running them or the scan bound. */
  explain(request: ListRequest): Promise<PlanAnswer> {
    // The plan's estimates come from the whole table's statistics: under an owner rule they would
    // tell the caller about rows it may not see (counts stay exact there for the same reason).
    if (request.ownerScoped) return Promise.reject(new AccessDeniedError(`the plan of a ${this.model.name} list under an owner rule is not shown: its row estimates count every owner's rows`))
    const plan = this.planner.planFor(request)
    const { page, count } = listStatements(this.model, plan, request)
    return this.source.read(async (access) => {
      const [pagePlan, countPlan] = await Promise.all([
        explain(access.run, page.sql, page.values),
        count === undefined ? undefined : explain(access.run, count.sql, count.values)
      ])
      const answer: PlanAnswer = plannedStatement(page.sql, pagePlan, rowsToFill(pagePlan, request.limit + 1 + request.offset))
      if (count !== undefined) answer.count = plannedStatement(count.sql, countPlan!)
      return answer
    })
  }
}

/**
 * A relation is read as the caller may read the related entity itself: its read roles (403
 * otherwise), its field rules (a field it may not read cannot be embedded, filtered or sorted
 * by: 403; an embed that names none gets those it may read) and its owner rule (only the
 * caller's own related rows embed, match a filter or sort).
 */
function authorizeRelations(caller: Caller, request: ListRequest): void {
  for (const relation of relationsOf(request)) {
    const { target } = relation
    const grant = grantFor(target, caller, 'read')
    const embed = embedsOf(request.embeds).find((each) => each.relation === relation)
    const named = [
      ...(embed?.fields ?? []),
      ...(embed?.sort ?? []).map((term) => term.field),
      ...conditionsOf(request).filter((condition) => condition.relation === relation).map((condition) => condition.field),
      ...request.sort.filter((term) => term.relation === relation).map((term) => term.field)
    ]
    refuseForbiddenReads(target, grant, named)
    if (embed && embed.fields === undefined && grant.readable !== target.readable) embed.fields = grant.readable as RestField[]
    if (grant.owner) request.owners.set(relation, grant.owner)
  }
}
