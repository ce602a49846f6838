import type { DataSource } from 'typeorm'
import { executePooled, poolOf } from './pooled-query'

/**
 * The primary's GTID position now (`@@gtid_binlog_pos`: every domain's last GTID in its
 * binlog), for a write answered outside a request transaction (an autocommit INSERT or
 * DELETE on the pool; a request transaction reads it on its own connection instead,
 * request-transaction.ts): it includes that write, which committed before the answer, and
 * maybe others' newer ones — never too low. One borrow and one round trip; undefined when the
 * primary cannot say (the write stands, only the position is lost).
 */
export async function primaryPosition(dataSource: DataSource): Promise<string | undefined> {
  try {
    const [row] = await executePooled<{ position: unknown }>(poolOf(dataSource), 'SELECT @@gtid_binlog_pos AS position', [])
    return typeof row?.position === 'string' && row.position !== '' ? row.position : undefined
  } catch {
    return undefined
  }
}
