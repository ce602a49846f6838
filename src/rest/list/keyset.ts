import type { KeyColumn } from './cursor'
import { placeholderOf } from './conditions'
import type { ListPlan } from './plan'

/**
 * SQL and extra bind values for the page after a cursor: rows strictly after the cursor in
 * ORDER BY order. Expanded as (k1 after v1) OR (k1 = v1 AND k2 after v2) OR ..., with MySQL's
 * NULL ordering (NULLs first ascending, last descending) so nullable sort fields page too.
 */
export function afterCursorQuery(plan: ListPlan, cursorValues: unknown[], search?: string): { sql: string; values: unknown[] } {
  const nullMask = cursorValues.map((value) => (value === null ? '0' : '1')).join('')
  let sql = plan.afterCursor.get(nullMask)
  if (sql === undefined) {
    const keyset = keysetCondition(plan.keys, cursorValues)
    const where = [plan.whereSql, keyset].filter(Boolean).map((part) => `(${part})`).join(' AND ')
    sql = `${plan.selectFrom} WHERE ${where} ORDER BY ${plan.orderSql} LIMIT ? OFFSET ?`
    plan.afterCursor.set(nullMask, sql)
  }
  const values: unknown[] = []
  // A relevance key's expression binds the search words before its own value, wherever it appears.
  const push = (key: KeyColumn, value: unknown) => {
    if (key.searchBound) values.push(search)
    values.push(value)
  }
  for (let i = 0; i < plan.keys.length; i++) {
    if (cannotFollow(plan.keys[i], cursorValues[i])) continue
    for (let j = 0; j < i; j++) if (cursorValues[j] !== null) push(plan.keys[j], cursorValues[j])
    if (cursorValues[i] !== null) push(plan.keys[i], cursorValues[i])
  }
  return { sql, values }
}

/** Nothing sorts after NULL in descending order (MySQL puts NULLs last there). */
function cannotFollow(key: KeyColumn, value: unknown): boolean {
  return value === null && key.descending
}

function keysetCondition(keys: KeyColumn[], cursorValues: unknown[]): string {
  const disjuncts: string[] = []
  for (let i = 0; i < keys.length; i++) {
    const after = afterCondition(keys[i], cursorValues[i])
    if (after === undefined) continue
    const equalities = keys.slice(0, i).map((key, j) => (cursorValues[j] === null ? `${key.column} IS NULL` : `${key.column} = ${placeholderOf(key.field)}`))
    disjuncts.push([...equalities, after].join(' AND '))
  }
  return disjuncts.length ? disjuncts.map((part) => `(${part})`).join(' OR ') : '1 = 0'
}

/** "Comes after v in this key's direction"; undefined when nothing can come after (NULL, descending). */
function afterCondition(key: KeyColumn, value: unknown): string | undefined {
  const { column } = key
  if (cannotFollow(key, value)) return undefined
  if (value === null) return `${column} IS NOT NULL`
  const bound = placeholderOf(key.field)
  if (!key.descending) return `${column} > ${bound}`
  return key.nullable ? `(${column} < ${bound} OR ${column} IS NULL)` : `${column} < ${bound}`
}
