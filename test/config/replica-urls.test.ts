import t from 'tap'
import { ConfigError, loadConfig } from '../../src/config'
import { dataSourceOptions, replicaTargets } from '../../src/db/data-source-options'

// DATABASE_REPLICA_URLS and DB_REPLICA_MAX_LAG_MS (issue 12): each URL validated, the CLI's
// DataSource never replicated.

const PRIMARY = 'mariadb://app:primary-secret@db-primary:3306/shop'

t.test('defaults: no replicas, 5 s of lag allowed', async (t) => {
  const config = loadConfig({})
  t.equal(config.DATABASE_REPLICA_URLS, '')
  t.equal(config.DB_REPLICA_MAX_LAG_MS, 5_000)
  t.same(replicaTargets(config), [])
  t.equal(dataSourceOptions(config).replication, undefined)
})

t.test('comma-separated URLs, each with its own account; the database defaults to the primary\'s', async (t) => {
  const config = loadConfig({ DATABASE_URL: PRIMARY, DATABASE_REPLICA_URLS: 'mariadb://reader:r1@db-r1:3307/shop , mariadb://reader:r2@db-r2' })
  t.same(replicaTargets(config), [
    { type: 'mariadb', host: 'db-r1', port: 3307, username: 'reader', password: 'r1', database: 'shop' },
    { type: 'mariadb', host: 'db-r2', port: 3306, username: 'reader', password: 'r2', database: 'shop' }
  ])
  const options = dataSourceOptions(config, { replicas: replicaTargets(config) }) as { replication?: { master: object; slaves: object[] } }
  t.match(options.replication!.master, { host: 'db-primary', username: 'app', database: 'shop' })
  t.equal(options.replication!.slaves.length, 2)
  t.equal(dataSourceOptions(config).replication, undefined, 'without replicas passed (ormconfig.ts, the CLI): the primary only')
})

t.test('a bad replica URL stops start-up naming it, without any password', async (t) => {
  const cases: Array<[string, RegExp]> = [
    ['postgres://reader:hunter2@db-r1/shop', /DATABASE_REPLICA_URLS must be a URL like/],
    ['mariadb://reader:hunter2@db-r1/shop,', /DATABASE_REPLICA_URLS must be a URL like/],
    ['mariadb://reader:ok@db-r1/shop,mariadb://reader:hunter2@db-r2/other', /DATABASE_REPLICA_URLS\[1\] names database "other" but DATABASE_URL names "shop"/],
    ['mariadb://reader:hunter2@db-r1/shop?ssl=true', /DATABASE_REPLICA_URLS\[0\] has the query parameter "ssl"/]
  ]
  for (const [urls, message] of cases) {
    const err = t.throws(() => loadConfig({ DATABASE_URL: PRIMARY, DATABASE_REPLICA_URLS: urls }), ConfigError, urls) as unknown as Error
    t.match(err.message, message)
    t.notMatch(err.message, /hunter2/, 'no password in the message')
  }
})
