import type { ColumnCodec } from '../kinds'
import type { ResourceModel, RestField } from '../resource-model'

/**
 * `search=words`: MariaDB's natural-language full-text search over the entity's FULLTEXT index
 * (`MATCH (...) AGAINST (? IN NATURAL LANGUAGE MODE)`), as a condition and, with
 * `orderby.relevance`, as a sort key. The words are always a bound value.
 */
export const AGAINST = 'AGAINST (? IN NATURAL LANGUAGE MODE)'

/** The relevance of a row for the request's words; one `?`, bound to them. */
export function relevanceOf(model: ResourceModel): string {
  return `${model.fullText} ${AGAINST}`
}

/**
 * A cursor carries a row's relevance as the number the server computed (a double, exact in
 * JSON); only a finite number is taken back.
 */
const RELEVANCE_CODEC = {
  kind: 'float',
  toCursor: (raw: unknown) => Number(raw),
  fromCursor: (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : undefined)
} as unknown as ColumnCodec

/** `orderby.relevance` as a sort key: not a column, but what keyset paging needs of one (a name and a codec). */
export const RELEVANCE: RestField = { name: 'relevance', nullable: false, codec: RELEVANCE_CODEC } as RestField
