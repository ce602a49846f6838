import { randomBytes } from 'node:crypto'
import mysql from 'mysql2/promise'
import { adminConnection, dropDatabase, TEST_SERVER_URL } from '../helper'

type Tap = { teardown(fn: () => unknown): void }

/** The least-privilege grants docs/security.md gives the app account: DML on its own schema, nothing else. */
export const APP_GRANTS = 'SELECT, INSERT, UPDATE, DELETE'
const HOSTS = ['%', 'localhost']

export interface DmlUser {
  user: string
  password: string
  database: string
  /** DATABASE_URL for the DML-only account. */
  appUrl: string
  /** MIGRATIONS_DATABASE_URL: the test server's own (root) account. */
  migrationsUrl: string
}

/**
 * A database name that does not exist yet and a user with only DML on it, both unique to this
 * test and dropped at teardown. The grant is made before the database exists, as an operator
 * provisioning accounts ahead of the first deploy would.
 */
export async function createDmlUser(t: Tap, label: string): Promise<DmlUser> {
  const suffix = randomBytes(4).toString('hex')
  const database = `lg_test_${label}_${suffix}`
  const user = `lg_dml_${suffix}`
  const password = `pw-${randomBytes(8).toString('hex')}`
  t.teardown(async () => {
    const admin = await adminConnection()
    await admin.query(`DROP USER IF EXISTS ${HOSTS.map(() => '?@?').join(', ')}`, HOSTS.flatMap((host) => [user, host]))
    await admin.end()
    await dropDatabase(database)
  })
  const admin = await adminConnection()
  try {
    for (const host of HOSTS) {
      await admin.query('CREATE USER ?@? IDENTIFIED BY ?', [user, host, password])
      await admin.query(`GRANT ${APP_GRANTS} ON ${mysql.escapeId(database)}.* TO ?@?`, [user, host])
    }
  } finally {
    await admin.end()
  }
  const server = new URL(TEST_SERVER_URL)
  const hostPort = `${server.hostname}:${server.port || 3306}`
  return {
    user,
    password,
    database,
    appUrl: `mariadb://${user}:${password}@${hostPort}/${database}`,
    migrationsUrl: `${TEST_SERVER_URL}/${database}`
  }
}

/** A plain connection as the DML-only user, outside the app, to show what it may not do. */
export function connectAs(account: DmlUser): Promise<mysql.Connection> {
  const url = new URL(account.appUrl)
  return mysql.createConnection({ host: url.hostname, port: Number(url.port), user: account.user, password: account.password, database: account.database })
}
