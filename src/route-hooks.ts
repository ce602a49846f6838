/**
 * A route's hooks of one kind as a list (Fastify takes one hook or an array), to add one before
 * or after the others. The plugins that wrap routes live in src/db, src/http and
 * src/idempotency, so it belongs to none of them.
 */
export function hookList<T>(hooks: T | T[] | undefined): T[] {
  if (hooks === undefined) return []
  return Array.isArray(hooks) ? hooks : [hooks]
}
