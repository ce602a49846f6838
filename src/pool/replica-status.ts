/**
 * Whether a replica may serve reads, judged from its own `SHOW REPLICA STATUS` row: a pure
 * function, so each rule has a test without a server (test/pool/replica-status.test.ts).
 */

/** The columns of `SHOW SLAVE STATUS` (MariaDB's names; `SHOW REPLICA STATUS` has the same) that decide. */
export interface ReplicaStatusRow {
  Slave_IO_Running?: string
  Slave_SQL_Running?: string
  /** Whole seconds; NULL while the SQL thread is stopped, or while the IO thread is not connected. */
  Seconds_Behind_Master?: number | string | null
}

/**
 * `SHOW REPLICA STATUS` answers with MariaDB's Slave_* names on MariaDB (10.5.1+) and with
 * Replica_* / *_Source names on MySQL (8.0.22+, where 8.4 has no SHOW SLAVE STATUS): one row shape.
 */
export function normalizeStatusRow(row: Record<string, unknown> | undefined): ReplicaStatusRow | undefined {
  if (!row) return undefined
  return {
    Slave_IO_Running: (row.Slave_IO_Running ?? row.Replica_IO_Running) as string | undefined,
    Slave_SQL_Running: (row.Slave_SQL_Running ?? row.Replica_SQL_Running) as string | undefined,
    Seconds_Behind_Master: ('Seconds_Behind_Master' in row ? row.Seconds_Behind_Master : row.Seconds_Behind_Source) as ReplicaStatusRow['Seconds_Behind_Master']
  }
}

export type ReplicaVerdict =
  | { usable: true; lagSeconds: number | null; note?: string }
  | { usable: false; lagSeconds: number | null; reason: string }

/**
 * - No row: the server replicates from nobody (a wrong URL, or a primary): never a replica.
 * - SQL thread stopped: nothing is applied any more; MariaDB reports no lag (NULL) although
 *   it grows with every write on the primary, so the replica is out at once.
 * - Lag above maxLagMs: out until it catches up. Lag is whole seconds, so with 5000 ms a
 *   replica 5 s behind still serves and one 6 s behind does not.
 * - SQL thread running but no lag (NULL): the IO thread is not connected, so the replica
 *   cannot tell how far behind it is. When the primary is unreachable from here too, it is
 *   down for everybody and nothing newer can be written: the replica's copy is the best there
 *   is, and serving it keeps reads going through a primary outage. When the primary answers,
 *   only the replication link is broken and the copy grows staler unseen: out.
 */
export function judgeReplicaStatus(row: ReplicaStatusRow | undefined, maxLagMs: number, primaryReachable: boolean | undefined): ReplicaVerdict {
  if (!row) return { usable: false, lagSeconds: null, reason: 'not replicating (SHOW REPLICA STATUS is empty)' }
  const lag = row.Seconds_Behind_Master
  const lagSeconds = lag === null || lag === undefined || lag === '' ? null : Number(lag)
  if (row.Slave_SQL_Running !== 'Yes') return { usable: false, lagSeconds, reason: 'replication SQL thread not running' }
  if (lagSeconds !== null) {
    if (lagSeconds * 1000 > maxLagMs) return { usable: false, lagSeconds, reason: `replication lag ${lagSeconds} s above ${maxLagMs} ms` }
    return { usable: true, lagSeconds }
  }
  if (primaryReachable === false) return { usable: true, lagSeconds, note: 'primary unreachable: serving the last replicated state' }
  return { usable: false, lagSeconds, reason: `replication IO thread ${row.Slave_IO_Running === 'Yes' ? 'running' : 'not connected'}, lag unknown` }
}

/** Whether judging `row` needs to know if the primary answers (the one case above that does). */
export function needsPrimaryReachability(row: ReplicaStatusRow | undefined): boolean {
  return row !== undefined && row.Slave_SQL_Running === 'Yes' && (row.Seconds_Behind_Master === null || row.Seconds_Behind_Master === undefined)
}
