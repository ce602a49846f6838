import 'reflect-metadata'
import type { DataSource } from 'typeorm'
import { findSchemaGaps, SchemaMismatchError } from '../db/schema-check'
import { findIndexGaps } from '../rest/index-advice'
import { buildResourceModel, isRestEntity } from '../rest/resource-model'

/**
 * `npm run rest:check`: start-up's index advice (src/rest/index-advice.ts) for CI. Connects to
 * the database of ormconfig.ts (DATABASE_URL, as the migration scripts do), prints one line per
 * sortable or filterable field of an exposed entity that no index starts with, and exits 1 when
 * there is any (or when the schema is behind the entities, which would make the advice moot), else 0.
 */
export async function restCheck(dataSource: DataSource, out: (line: string) => void): Promise<number> {
  const exposed = dataSource.entityMetadatas.filter(isRestEntity)
  const schemaGaps = await findSchemaGaps(dataSource, exposed)
  if (schemaGaps.length > 0) {
    out(new SchemaMismatchError(schemaGaps).message)
    return 1
  }
  const gaps = await findIndexGaps(dataSource, exposed.map(buildResourceModel))
  for (const gap of gaps) out(gap.message)
  out(
    gaps.length === 0
      ? `every sortable and filterable field of ${exposed.length} exposed ${exposed.length === 1 ? 'entity' : 'entities'} has an index`
      : `${gaps.length === 1 ? '1 field lacks' : `${gaps.length} fields lack`} an index`
  )
  return gaps.length === 0 ? 0 : 1
}

async function main(): Promise<number> {
  // ormconfig.ts reads the config and waits for the server, refusing (one line, exit 1) as the migration scripts do.
  const { default: pending } = await import('../../ormconfig')
  const dataSource = await pending
  await dataSource.initialize()
  try {
    return await restCheck(dataSource, (line) => process.stdout.write(line + '\n'))
  } finally {
    await dataSource.destroy()
  }
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`rest:check failed: ${err instanceof Error ? err.message : String(err)}\n`)
      process.exit(1)
    }
  )
}
