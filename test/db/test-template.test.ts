import t from 'tap'
import { runPendingMigrations } from '../../src/db/prepare-database'
import { adminConnection, createTestDatabase } from '../helper'

// createTestDatabase copies a template instead of migrating (support/template-database.ts).
// Every test that trusts "a migrated database" trusts this copy: it must be exactly what the
// migrations make, or those tests would check another schema than the app's.

const databaseOf = (config: { DATABASE_URL: string }) => new URL(config.DATABASE_URL).pathname.slice(1)

async function schemaOf(database: string) {
  const admin = await adminConnection(database)
  try {
    const [tables] = await admin.query("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = ? ORDER BY table_name", [database])
    const shapes: Record<string, string> = {}
    for (const { name } of tables as Array<{ name: string }>) {
      const [[created]] = (await admin.query(`SHOW CREATE TABLE \`${name}\``)) as any
      shapes[name] = created['Create Table']
    }
    const [migrations] = await admin.query('SELECT id, timestamp, name FROM migrations ORDER BY id')
    return { shapes, migrations }
  } finally {
    await admin.end()
  }
}

t.test('a copied test database has the tables, keys and migrations rows that migrating makes', async (t) => {
  const migrated = await createTestDatabase(t, { migrate: false })
  t.ok((await runPendingMigrations(migrated)).length > 0, 'the migrations ran on the reference database')
  const copied = await createTestDatabase(t)
  const reference = await schemaOf(databaseOf(migrated))
  const copy = await schemaOf(databaseOf(copied))
  t.ok(Object.values(reference.shapes).some((ddl) => /FOREIGN KEY/.test(ddl)), 'the reference has foreign keys to compare')
  t.same(copy.shapes, reference.shapes, 'SHOW CREATE TABLE agrees for every table')
  t.same(copy.migrations, reference.migrations, 'the same migrations are recorded as applied')
  t.same(await runPendingMigrations(copied), [], 'nothing is pending on the copy')
})
