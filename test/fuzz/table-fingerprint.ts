import mysql from 'mysql2/promise'
import type { Connection } from 'mysql2/promise'

/**
 * A cheap fingerprint of every table in one database, read over an admin connection outside
 * the app's pool: CHECKSUM TABLE hashes each table's committed rows, so any INSERT, UPDATE
 * or DELETE that committed changes it, while a rolled-back one or a bumped AUTO_INCREMENT
 * counter does not (neither is a change of data).
 */
export type Fingerprint = Map<string, string>

export async function fingerprintTables(admin: Connection, database: string): Promise<Fingerprint> {
  const [tables] = await admin.query(
    "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = ? AND table_type = 'BASE TABLE' ORDER BY table_name",
    [database]
  )
  const names = (tables as Array<{ name: string }>).map((row) => row.name)
  const fingerprint: Fingerprint = new Map()
  if (names.length === 0) return fingerprint
  const [rows] = await admin.query(`CHECKSUM TABLE ${names.map((name) => `${mysql.escapeId(database)}.${mysql.escapeId(name)}`).join(', ')}`)
  for (const row of rows as Array<{ Table: string; Checksum: string | number | null }>) fingerprint.set(row.Table, String(row.Checksum))
  return fingerprint
}

/** Tables whose checksum differs (or that appeared or vanished) between two fingerprints. */
export function changedTables(before: Fingerprint, after: Fingerprint): string[] {
  const names = new Set([...before.keys(), ...after.keys()])
  return [...names].filter((name) => before.get(name) !== after.get(name))
}

/**
 * Fingerprints once per request instead of twice: requests run one at a time and nothing
 * else writes to this database, so the fingerprint after one request is the one before the
 * next. `sinceLast()` answers which tables the request just made changed.
 */
export class DataWatch {
  private last: Fingerprint | undefined

  constructor(
    private readonly admin: Connection,
    private readonly database: string
  ) {}

  async sinceLast(): Promise<string[]> {
    const before = this.last
    // Without a baseline taken before the request, a change could not be told from none.
    if (before === undefined) throw new Error('DataWatch.reset() must run before the first request')
    this.last = await fingerprintTables(this.admin, this.database)
    return changedTables(before, this.last)
  }

  /** Takes the baseline a first request is compared with (call it before that request). */
  async reset(): Promise<void> {
    this.last = await fingerprintTables(this.admin, this.database)
  }
}
