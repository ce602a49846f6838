import type { JsonSchema } from '../kinds'
import type { ResourceModel } from '../resource-model'
import type { ListGrammar, QueryFamily } from './grammar'
import { relationsOnPath } from '../relations'
import { DEFAULT_EMBED_LIMIT, MAX_EMBED_LIMIT } from './value-schemas'

/**
 * `include=` and, per to-many relation or include path, the size and order of its embedded
 * arrays (`limit.books=5`, `orderby.books.price=desc`, `limit.books.orders=2`); none for an entity that declares no `includable`.
 */
export function embedFamilies(model: ResourceModel, sortKeys: ListGrammar['sortKeys'], limitKeys: ListGrammar['limitKeys']): QueryFamily[] {
  const relations = [...model.includable.values()]
  if (relations.length === 0) return []
  const families: QueryFamily[] = [
    {
      name: 'include',
      spelling: 'include=<relation>,…',
      description: `relations to embed, comma-separated: ${relations.map((relation) => `${relation.name} (${relation.kind === 'to-one' ? 'an object' : 'an array'})`).join(', ')}${model.includePaths.size > 0 ? `; and through them ${[...model.includePaths].join(', ')}` : ''}`,
      keys: {
        include: {
          type: 'string',
          maxLength: 1_000,
          description: `comma-separated relations to embed, of: ${[...relations.map((relation) => relation.name), ...model.includePaths].join(', ')}`
        }
      },
      patterns: {},
      example: { include: relations[0].name }
    }
  ]
  // Every include path that ends in a to-many relation (`books`, `books.orders`) shapes its arrays.
  const toMany = [...relations.map((relation) => relation.name), ...model.includePaths]
    .map((path) => ({ path, relation: relationsOnPath(model, path).at(-1)! }))
    .filter(({ relation }) => relation.kind === 'to-many')
  if (toMany.length === 0) return families
  const limits: Record<string, JsonSchema> = {}
  const orders: Record<string, JsonSchema> = {}
  for (const { path, relation } of toMany) {
    limitKeys.set(`limit.${path}`, path)
    limits[`limit.${path}`] = {
      type: 'integer',
      minimum: 1,
      maximum: MAX_EMBED_LIMIT,
      description: `most ${path} embedded per row (default ${DEFAULT_EMBED_LIMIT})`
    }
    for (const field of relation.target.sortable) {
      sortKeys.set(`orderby.${path}.${field.name}`, { field, embed: path })
      orders[`orderby.${path}.${field.name}`] = { type: 'string', enum: ['asc', 'desc'], description: `order of each row's embedded ${path} by ${field.name}` }
    }
  }
  const [{ path: first, relation: firstRelation }] = toMany
  families.push(
    {
      name: 'limit.<relation>',
      spelling: 'limit.<relation>=n',
      description: `most rows per row of an included to-many relation, or of an include path ending in one, 1..${MAX_EMBED_LIMIT}, default ${DEFAULT_EMBED_LIMIT}`,
      keys: limits,
      patterns: {},
      example: { include: first, [`limit.${first}`]: '5' }
    },
    {
      name: 'orderby.<relation>',
      spelling: 'orderby.<relation>.<field>',
      description: 'order of an included to-many relation\'s rows (or an include path\'s) within each row (then their primary key); it does not sort the rows themselves',
      keys: orders,
      patterns: {},
      example: { include: first, [`orderby.${first}.${firstRelation.target.primary.name}`]: 'desc' }
    }
  )
  return families
}

