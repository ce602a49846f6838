import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { MysqlDriver } from 'typeorm/driver/mysql/MysqlDriver'
import { NotFoundError, ValidationFailedError } from '../http/errors'
import { AccessDeniedError } from '../auth/errors'
import { bodyValues, type FieldValue } from './body-values'
import type { EntityEvents } from './entity-events'
import { NO_QUERY_SCHEMA, schemaIds } from './json-schemas'
import type { ResourceModel, RestField } from './resource-model'
import type { ResourceReader } from './resource-reader'
import { poolAccess, requestTransactionConfig, transactionAccess, type RowAccess } from './row-source'
import { problemResponses, RESPONSE_HEADERS } from './route-schemas'
import { WriteStatements } from './write-sql'
import { fullGrant, grantFor, refuseForbiddenWrites, stampOwner, type Grant } from './access'
import { routeAccess } from './route-access'
import { PREFER_HEADER, preferencesOf } from './prefer'
import { answerRow, answerRows } from './row-answers'
import { Upserter, type Upserted } from './upsert'

type Body = Record<string, unknown>
type Row = Record<string, unknown>
type CreateRequest = FastifyRequest<{ Body: Body | Body[] }>

/** What an INSERT answers (mysql2's ResultSetHeader). */
interface InsertResult {
  insertId: number
}

export interface CreateOptions {
  /** REST_BULK_MAX: most rows one POST may carry as an array. */
  bulkMax: number
}

/**
 * POST /<entity>: one row (a JSON object) or a bulk (an array of at most REST_BULK_MAX rows).
 * Every row is checked by the body schema and its columns' codecs before any SQL is sent (a
 * bad row is a 400 naming its index and field: `body.3.price`); a bulk is written in one
 * transaction with multi-row INSERTs (write-sql.ts) and answered with the rows in the order
 * sent; a duplicate key in any row (409) leaves nothing written.
 *
 * One row on MariaDB is one `INSERT ... RETURNING` on the pool; without RETURNING (MySQL), or
 * with entity events, the INSERT and its read-back share the request transaction.
 */
export function registerCreateRoute(app: FastifyInstance, model: ResourceModel, reader: ResourceReader, events: EntityEvents | undefined, { bulkMax }: CreateOptions) {
  const ids = schemaIds(model)
  const entityRef = { $ref: `${ids.entity}#` }
  const manyRows = { type: 'array', items: entityRef }
  const pooled = poolAccess(app.db)
  // MariaDB >= 10.5 returns the stored rows from the INSERT itself (RETURNING): one round trip.
  const insertReturnsRow = (app.db.driver as MysqlDriver).isReturningSqlSupported('insert')
  const selection = reader.selection()
  const statements = new WriteStatements(model, insertReturnsRow ? selection.columns : undefined)
  const everything = fullGrant(model)

  /** The rows' checked values, each stamped with the caller as owner under an owner rule. */
  const valuesOf = (bodies: Body[], grant: Grant, single: boolean): FieldValue[][] =>
    bodies.map((body, index) => {
      const values = bodyValues(body, model.creatable, single ? 'body' : `body.${index}`)
      refuseForbiddenWrites(model, grant, values)
      return grant.owner ? stampOwner(model, grant.owner, values) : values
    })

  /**
   * INSERTs `rows` and returns them as stored, in the order given. Rows that carry the same
   * fields share multi-row statements, one group after the other in the order each first
   * appears, so the keys a bulk gets follow that order rather than the array's.
   */
  const insertAll = async (access: RowAccess, rows: FieldValue[][]): Promise<Row[]> => {
    const stored: Row[] = new Array(rows.length)
    for (const group of rows.length === 1 ? [[0]] : groupsOfOneShape(rows)) {
      let at = 0
      for (const insert of statements.insertMany(group.map((index) => rows[index]))) {
        const indices = group.slice(at, (at += insert.keys.length))
        if (insertReturnsRow) {
          const returned = await access.run<Row>(insert.statement, insert.values)
          for (const [position, index] of indices.entries()) stored[index] = returned[position]
          continue
        }
        const result = (await access.run(insert.statement, insert.values)) as unknown as InsertResult
        // InnoDB gives one multi-row INSERT consecutive auto-increment keys (a "simple insert" in every lock mode).
        for (const [position, index] of indices.entries()) {
          const [row] = await access.run<Row>(selection.byId, [...model.scope.values, insert.keys[position] ?? result.insertId + position])
          if (row === undefined) throw new NotFoundError(`the new ${model.name} could not be read back`)
          stored[index] = row
        }
      }
    }
    return stored
  }

  const upserter = new Upserter(model, statements)

  /**
   * The grant a merge-duplicates POST updates under: it changes existing rows, so it needs
   * the update rights too — not under an owner rule (another caller's row must not be found by
   * its unique key) and not on an entity with listeners (an upsert has no one event order).
   */
  const mergeGrant = (request: CreateRequest): Grant => {
    if (!model.operations.has('update') || events) {
      const why = events ? 'has entity listeners or subscribers' : 'does not expose update'
      throw new ValidationFailedError(`headers.prefer resolution=merge-duplicates: ${model.name} ${why}`, [
        { path: 'headers.prefer', message: `resolution=merge-duplicates is not available: ${model.name} ${why}` }
      ])
    }
    if (!request.caller) return everything
    const grant = grantFor(model, request.caller, 'update')
    if (grant.owner) throw new AccessDeniedError(`resolution=merge-duplicates is not available to callers ${model.name}'s owner rule restricts`)
    return grant
  }

  /** POST with `Prefer: resolution=merge-duplicates` (upsert.ts): each row created, or the row its unique key names updated. */
  const merge = async (request: CreateRequest, reply: FastifyReply, rows: FieldValue[][], single: boolean) => {
    const grant = mergeGrant(request)
    for (const values of rows) refuseForbiddenWrites(model, grant, values.filter((each) => model.updatable.includes(each.field as RestField)))
    const access = await transactionAccess(request, events)
    const outcomes: Upserted[] = []
    for (const values of rows) outcomes.push(await upserter.upsert(access, values))
    const fields = grant.readable === model.readable ? undefined : grant.readable
    const stored: Row[] = []
    for (const { key } of outcomes) stored.push((await reader.findById(key, fields, access))!)
    reply.header('preference-applied', 'resolution=merge-duplicates')
    const status = outcomes.every((outcome) => outcome.created) ? 201 : 200
    if (single) return answerRow(request, reply, reader, model, stored[0], status)
    reply.header('x-created-rows', outcomes.flatMap((outcome, index) => (outcome.created ? [index] : [])).join(','))
    return answerRows(request, reply, stored, manyRows, status)
  }

  /** POST's work, shared with the nested POST (`/authors/:id/books`, src/rest/nested-routes.ts), which sends one row. */
  const create = async (request: CreateRequest, reply: FastifyReply) => {
    const grant = request.grant ?? everything
    const single = !Array.isArray(request.body)
    const bodies = single ? [request.body as Body] : (request.body as Body[])
    const rows = valuesOf(bodies, grant, single)
    if (preferencesOf(request.headers.prefer).get('resolution') === 'merge-duplicates') return merge(request, reply, rows, single)
    // An Idempotency-Key's record is written in the request transaction (src/idempotency/), so the row must be too.
    const pooledInsert = single && insertReturnsRow && !events && request.headers['idempotency-key'] === undefined
    const access = pooledInsert ? pooled : await transactionAccess(request, events)
    const entities = events ? rows.map((values) => events.assign(model.metadata.create(), values)) : undefined
    if (events) for (const [index, entity] of entities!.entries()) rows[index] = await events.before('Insert', access.runner!, entity, undefined, rows[index])
    const raw = await insertAll(access, rows)
    if (events) for (const [index, entity] of entities!.entries()) await events.after('Insert', access.runner!, events.merge(entity, raw[index], selection.fields), undefined)
    const shown = reader.selection(grant.readable)
    const created = await access.json(raw, shown.fields, shown.mapRows)
    return single ? answerRow(request, reply, reader, model, created[0], 201) : answerRows(request, reply, created, manyRows, 201)
  }
  // A bulk always runs in the request transaction; one row only without RETURNING, with entity events or with an Idempotency-Key.
  const createConfig = requestTransactionConfig(events)

  if (model.operations.has('create')) {
    const routeRules = routeAccess(app, model, 'create')
    app.post<{ Body: Body | Body[] }>(
      model.path,
      {
        ...routeRules.hooks,
        config: createConfig,
        bodyLimit: BULK_BODY_LIMIT_BYTES,
        schema: {
          tags: [model.name],
          summary: `Create a ${model.name}, or up to ${bulkMax} of them in one transaction (an array)`,
          ...routeRules.security,
          querystring: NO_QUERY_SCHEMA,
          headers: { type: 'object', properties: { prefer: PREFER_HEADER } },
          body: { oneOf: [{ $ref: `${ids.create}#` }, { type: 'array', minItems: 1, maxItems: bulkMax, items: { $ref: `${ids.create}#` } }] },
          response: {
            // An array body is answered with the array of rows (documented by src/http/openapi.ts, serialised above).
            // An upsert (Prefer: resolution=merge-duplicates) that updated a row, or any of an array's.
            200: { ...entityRef, description: 'Prefer: resolution=merge-duplicates: the row updated, or for an array body the rows in the order sent when any was updated (X-Created-Rows lists the created ones)' },
            201: {
              ...entityRef,
              description: 'created: the row, or for an array body the rows in the order sent; no body with Prefer: return=minimal',
              headers: { location: RESPONSE_HEADERS.location, ...(model.version && { etag: RESPONSE_HEADERS.etag }) }
            },
            ...problemResponses(400, ...routeRules.problems, 409, 413, 415, 422, 503)
          }
        }
      },
      create
    )
  }
  return { create, createConfig }
}

/** Most bytes a POST body may have: room for a bulk (the other routes keep BODY_LIMIT_BYTES, src/app.ts). */
export const BULK_BODY_LIMIT_BYTES = 4 * 1024 * 1024

/** The rows' indices grouped by the fields each row carries, groups in order of first appearance. */
function groupsOfOneShape(rows: FieldValue[][]): number[][] {
  const groups = new Map<string, number[]>()
  for (const [index, row] of rows.entries()) {
    const shape = row.map((each) => each.field.name).join(',')
    const group = groups.get(shape)
    if (group) group.push(index)
    else groups.set(shape, [index])
  }
  return [...groups.values()]
}

/** What the nested POST reuses of an entity's create route. */
export type EntityCreate = ReturnType<typeof registerCreateRoute>
