import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata'
import type { RelationMetadata } from 'typeorm/metadata/RelationMetadata'
import { quoteIdentifier } from './naming'
import { restFieldOf, type ResourceModel, type RestField } from './resource-model'

/**
 * A relation `include=` may embed, from TypeORM's relation metadata and the `includable`
 * declaration. A to-one relation is joined into the parent's own statement (one statement
 * whatever the page size); a to-many relation is one more statement per request, for the
 * whole page (src/rest/list/embed.ts).
 */
export interface RestRelation {
  name: string
  /** to-one: the parent row holds the key (ManyToOne, OneToOne owner); to-many: the related rows do (OneToMany). */
  kind: 'to-one' | 'to-many'
  /** The related entity's model: its readable fields, scope and rules apply to the embedded rows. */
  target: ResourceModel
  /** The parent's column in the join: its foreign key (to-one) or the column the related rows' key references (to-many). */
  parentColumn: string
  /** The related table's column in the join: the column the key references (to-one) or its foreign key (to-many). */
  targetColumn: string
  /** to-many: the related rows' foreign key as a field (filtering by it gives one parent's rows: nested routes). */
  foreignKey?: RestField
  /** to-one: the parent may hold no related row (a nullable key), so the embed may be null. */
  optional: boolean
}

/** Resolves every model's `includable` names once all exposed entities have models; throws at start-up for what cannot be served. */
export function linkRelations(models: readonly ResourceModel[]): void {
  const byEntity = new Map(models.map((model) => [model.metadata.target, model]))
  for (const model of models) {
    for (const name of model.includableNames) if (!name.includes('.')) model.includable.set(name, relationOf(model, name, byEntity))
  }
  // A path (`books.orders`) goes through relations each entity on the way declares itself, so
  // every embedded row has its entity's own schema and rules.
  for (const model of models) {
    for (const path of model.includableNames) if (path.includes('.')) model.includePaths.add(checkedPath(model, path))
  }
}

/** Most relations one include path may go through (`books.orders.book`). */
export const MAX_INCLUDE_DEPTH = 3

function checkedPath(model: ResourceModel, path: string): string {
  const names = path.split('.')
  if (names.length > MAX_INCLUDE_DEPTH) throw new Error(`${model.name}: includable "${path}" is deeper than ${MAX_INCLUDE_DEPTH} relations`)
  relationsOnPath(model, path, (at, name, depth) => {
    const where = depth === 0 ? `${model.name} declares no includable "${name}"` : `${at.name} declares no includable "${name}" (a path goes through relations each entity declares)`
    throw new Error(`${model.name}: includable "${path}": ${where}`)
  })
  return path
}

/** The relations an include path (`books.orders`) goes through, from `model`; `missing` says what to do with a step no entity declares. */
export function relationsOnPath(
  model: ResourceModel,
  path: string,
  missing: (at: ResourceModel, name: string, depth: number) => never = (at, name) => {
    throw new Error(`include path ${path}: ${at.name} declares no includable "${name}"`)
  }
): RestRelation[] {
  const relations: RestRelation[] = []
  let at = model
  for (const [depth, name] of path.split('.').entries()) {
    const relation = at.includable.get(name) ?? missing(at, name, depth)
    relations.push(relation)
    at = relation.target
  }
  return relations
}

function relationOf(model: ResourceModel, name: string, byEntity: Map<unknown, ResourceModel>): RestRelation {
  const refuse = (why: string): never => {
    throw new Error(`${model.name}: includable "${name}" ${why}`)
  }
  const relation = model.metadata.relations.find((each) => each.propertyName === name)
  if (!relation) refuse(`is not a relation of the entity (relations: ${model.metadata.relations.map((each) => each.propertyName).join(', ') || 'none'})`)
  const target = byEntity.get(relation!.inverseEntityMetadata.target)
  if (!target) refuse(`leads to ${relation!.inverseEntityMetadata.name}, which has no @RestResource (its readable fields and rules are what an embed may show)`)
  if (relation!.isManyToOne || relation!.isOneToOneOwner) {
    const join = singleJoinColumn(relation!, refuse)
    return {
      name,
      kind: 'to-one',
      target: target!,
      parentColumn: quoteIdentifier(join.databaseName),
      targetColumn: quoteIdentifier(join.referencedColumn!.databaseName),
      optional: join.isNullable || target!.access.owner !== undefined || target!.scope.sql !== ''
    }
  }
  if (relation!.isOneToMany && relation!.inverseRelation) {
    const join = singleJoinColumn(relation!.inverseRelation, refuse)
    return {
      name,
      kind: 'to-many',
      target: target!,
      parentColumn: quoteIdentifier(join.referencedColumn!.databaseName),
      targetColumn: quoteIdentifier(join.databaseName),
      foreignKey: target!.readable.find((field) => field.metadata === join) ?? restFieldOf(target!.metadata, join),
      optional: false
    }
  }
  return refuse(`is a ${relation!.relationType} relation; include= embeds many-to-one, owning one-to-one and one-to-many relations`)
}

function singleJoinColumn(relation: RelationMetadata, refuse: (why: string) => never): ColumnMetadata {
  if (relation.joinColumns.length !== 1) refuse(`joins on ${relation.joinColumns.length} columns; include= needs a single-column key`)
  return relation.joinColumns[0]
}
