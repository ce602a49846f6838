import type { ResourceModel } from '../resource-model'
import type { QueryFamily } from './grammar'
import { GROUP_LABEL } from './value-schemas'

/** What an unknown key could have been, by key prefix (src/http/error-problems.ts quotes the longest match). */
export function hintsOf(model: ResourceModel, families: QueryFamily[]): Record<string, string> {
  const hints: Record<string, string> = { '': `the ${families.some((family) => family.name === 'where') ? 'list' : 'route'} takes ${families.map((family) => family.spelling).join(', ')}` }
  const has = (name: string) => families.some((family) => family.name === name)
  const filterable = `filterable fields: ${model.filterable.map((field) => field.name).join(', ') || 'none'}`
  if (has('where')) {
    Object.assign(hints, {
      'where.': filterable,
      'where.not.': `where.not.<field>.<op>; ${filterable}`,
      'where.or.': `where.or.<label>.<field>.<op> with a label of ${GROUP_LABEL}; ${filterable}`
    })
    for (const field of model.filterable) {
      hints[`where.${field.name}.`] = `${field.name} takes the ops ${field.ops.join(', ')}`
      hints[`where.not.${field.name}.`] = hints[`where.${field.name}.`]
    }
  }
  if (has('orderby')) hints['orderby.'] = `sortable fields: ${model.sortable.map((field) => field.name).join(', ') || 'none'}`
  const toMany = [...model.includable.values()].filter((relation) => relation.kind === 'to-many')
  if (has('include')) {
    hints['limit.'] = `limit.<relation> sizes an included to-many relation, of: ${toMany.map((relation) => relation.name).join(', ') || 'none'}`
    for (const relation of toMany) {
      hints[`orderby.${relation.name}.`] = `sortable fields of ${relation.name}: ${relation.target.sortable.map((field) => field.name).join(', ') || 'none'}`
    }
  }
  return hints
}

