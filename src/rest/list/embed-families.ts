import type { JsonSchema } from '../kinds'
import type { ResourceModel } from '../resource-model'
import type { ListGrammar, QueryFamily } from './grammar'
import { DEFAULT_EMBED_LIMIT, MAX_EMBED_LIMIT } from './value-schemas'

/**
 * `include=` and, per to-many relation, the size and order of its embedded arrays
 * (`limit.books=5`, `orderby.books.price=desc`); none for an entity that declares no `includable`.
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
  const toMany = relations.filter((relation) => relation.kind === 'to-many')
  if (toMany.length === 0) return families
  const limits: Record<string, JsonSchema> = {}
  const orders: Record<string, JsonSchema> = {}
  for (const relation of toMany) {
    limitKeys.set(`limit.${relation.name}`, relation)
    limits[`limit.${relation.name}`] = {
      type: 'integer',
      minimum: 1,
      maximum: MAX_EMBED_LIMIT,
      description: `most ${relation.name} embedded per row (default ${DEFAULT_EMBED_LIMIT})`
    }
    for (const field of relation.target.sortable) {
      sortKeys.set(`orderby.${relation.name}.${field.name}`, { field, relation })
      orders[`orderby.${relation.name}.${field.name}`] = { type: 'string', enum: ['asc', 'desc'], description: `order of each row's embedded ${relation.name} by ${field.name}` }
    }
  }
  const [first] = toMany
  families.push(
    {
      name: 'limit.<relation>',
      spelling: 'limit.<relation>=n',
      description: `most rows of an included to-many relation per row, 1..${MAX_EMBED_LIMIT}, default ${DEFAULT_EMBED_LIMIT}`,
      keys: limits,
      patterns: {},
      example: { include: first.name, [`limit.${first.name}`]: '5' }
    },
    {
      name: 'orderby.<relation>',
      spelling: 'orderby.<relation>.<field>',
      description: 'order of an included to-many relation\'s rows within each row (then their primary key); it does not sort the rows themselves',
      keys: orders,
      patterns: {},
      example: { include: first.name, [`orderby.${first.name}.${first.target.primary.name}`]: 'desc' }
    }
  )
  return families
}

