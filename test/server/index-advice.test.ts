import t, { type Test } from 'tap'
import { adminConnection, createTestDatabase } from '../helper'
import { listeningUrl, runServerToExit, startServer, startTypeScript } from '../support/server-process'

// Issue 14 §1 on the demo schema (entities/, migrations/) with indexes dropped: which of its sortable and filterable
// fields no index starts with, as start-up logs them, refuses them, and `npm run rest:check` prints them.

/** Far below runServerToExit's default: a server that wrongly starts is killed and fails the exit-code check. */
const REFUSAL_TIMEOUT_MS = 20_000

/**
 * The demo schema indexes every sortable and filterable field (migrations/*-list-field-indexes.ts);
 * the tests drop these indexes to make gaps: a B-tree index, a prefix index of a TEXT column.
 */
const DROPPED = [
  { index: 'IDX_authors_bio', table: 'authors', gap: 'Author.bio', column: 'bio(100)' },
  { index: 'IDX_books_title', table: 'books', gap: 'Book.title', column: 'title' }
]
const DEMO_GAPS = DROPPED.map((each) => each.gap)

const BOOK_TITLE =
  'Book.title is sortable and filterable but no index starts with books.title: every filtered page scans the table and every sorted ' +
  'page scans and sorts it; add @Index() to Book.title (or REST_REQUIRE_INDEXES=1 refuses to start)'

/** A migrated test database with the DROPPED indexes gone; `restore()` puts them back. */
async function databaseWithGaps(t: Test) {
  const config = await createTestDatabase(t)
  const admin = await adminConnection(new URL(config.DATABASE_URL).pathname.slice(1))
  t.teardown(() => admin.end())
  for (const each of DROPPED) await admin.query(`DROP INDEX ${each.index} ON ${each.table}`)
  const restore = async () => {
    for (const each of DROPPED) await admin.query(`CREATE INDEX ${each.index} ON ${each.table} (${each.column})`)
  }
  return { config, restore }
}

async function runCheck(databaseUrl: string) {
  const child = startTypeScript('src/tools/rest-check.ts', [], { DATABASE_URL: databaseUrl })
  const timer = setTimeout(() => child.kill('SIGKILL'), REFUSAL_TIMEOUT_MS)
  const code = await child.exited.finally(() => clearTimeout(timer))
  return { code, ...child.output }
}

t.test('by default start-up warns once per field without an index, and serves', async (t) => {
  const { config } = await databaseWithGaps(t)
  const child = startServer({ DATABASE_URL: config.DATABASE_URL })
  t.teardown(() => child.kill('SIGKILL'))
  const base = await listeningUrl(child)
  t.equal((await fetch(`${base}/books?orderby.title=asc`)).status, 200, 'an unindexed sort still answers')
  const warnings = child.output.stdout
    .split('\n')
    .filter((line) => line.includes('no index starts with'))
    .map((line) => JSON.parse(line))
  t.same(warnings.map((line) => `${line.entity}.${line.field}`), DEMO_GAPS, 'one warning per field')
  t.ok(warnings.every((line) => line.level === 40), 'at warn level')
  t.equal(warnings.find((line) => line.field === 'title' && line.entity === 'Book').msg, BOOK_TITLE)
  child.kill('SIGTERM')
  t.equal(await child.exited, 0)
})

t.test('REST_REQUIRE_INDEXES=1 refuses to start in one line naming every field', async (t) => {
  const { config } = await databaseWithGaps(t)
  const { code, stderr } = await runServerToExit({ DATABASE_URL: config.DATABASE_URL, REST_REQUIRE_INDEXES: '1' }, REFUSAL_TIMEOUT_MS)
  t.equal(code, 1, 'exits 1')
  t.match(stderr, /^Lifeguard failed to start: 2 fields lack an index \(REST_REQUIRE_INDEXES is on\): Author\.bio \(authors\.bio\), Book\.title \(books\.title\); add an @Index\(\) to each/)
  t.equal(stderr.split('\n').length, 2, 'one line')
})

t.test('npm run rest:check exits 1 naming the fields without an index, and 0 once each has one', async (t) => {
  const { config, restore } = await databaseWithGaps(t)
  const before = await runCheck(config.DATABASE_URL)
  t.equal(before.code, 1, 'exits 1')
  const lines = before.stdout.trimEnd().split('\n')
  t.same(lines.slice(0, -1).map((line) => line.split(' ')[0]), DEMO_GAPS, 'one line per field')
  t.ok(lines.includes(BOOK_TITLE), 'Book.title, with the decorator to add')
  t.match(before.stdout, /Author\.bio is filterable .*add a prefix index in a migration \(CREATE INDEX \.\.\. ON authors \(bio\(100\)\)\)/, 'a TEXT column gets a prefix index')
  t.equal(lines.at(-1), '2 fields lack an index')

  // The demo schema as its migrations make it: every field has its index.
  await restore()
  const after = await runCheck(config.DATABASE_URL)
  t.equal(after.code, 0, 'exits 0')
  t.equal(after.stdout, 'every sortable and filterable field of 3 exposed entities has an index\n')
})
