import t from 'tap'
import { judgeReplicaStatus, needsPrimaryReachability, normalizeStatusRow } from '../../src/pool/replica-status'

// The rules that decide whether a replica gets reads, from its own SHOW SLAVE STATUS row.

const running = { Slave_IO_Running: 'Yes', Slave_SQL_Running: 'Yes' }

t.test('a caught-up replica serves; lag is whole seconds against the bound in ms', async (t) => {
  t.same(judgeReplicaStatus({ ...running, Seconds_Behind_Master: 0 }, 5_000, undefined), { usable: true, lagSeconds: 0 })
  t.equal(judgeReplicaStatus({ ...running, Seconds_Behind_Master: 5 }, 5_000, undefined).usable, true, '5 s is within 5000 ms')
  const behind = judgeReplicaStatus({ ...running, Seconds_Behind_Master: 6 }, 5_000, undefined)
  t.same(behind, { usable: false, lagSeconds: 6, reason: 'replication lag 6 s above 5000 ms' })
  t.equal(judgeReplicaStatus({ ...running, Seconds_Behind_Master: '3' }, 2_000, undefined).usable, false, 'a string lag (text protocol) is read as a number')
})

t.test('SQL thread stopped: out at once, whatever the lag says (MariaDB says NULL)', async (t) => {
  const stopped = judgeReplicaStatus({ Slave_IO_Running: 'Yes', Slave_SQL_Running: 'No', Seconds_Behind_Master: null }, 5_000, undefined)
  t.equal(stopped.usable, false)
  t.match(stopped, { reason: /SQL thread not running/ })
  t.equal(needsPrimaryReachability({ Slave_IO_Running: 'Yes', Slave_SQL_Running: 'No', Seconds_Behind_Master: null }), false)
})

t.test('no replication configured: never a replica', async (t) => {
  t.match(judgeReplicaStatus(undefined, 5_000, undefined), { usable: false, reason: /not replicating/ })
})

t.test('IO thread not connected (lag NULL): serves only while the primary is unreachable too', async (t) => {
  const row = { Slave_IO_Running: 'Connecting', Slave_SQL_Running: 'Yes', Seconds_Behind_Master: null }
  t.equal(needsPrimaryReachability(row), true)
  t.match(judgeReplicaStatus(row, 5_000, false), { usable: true, lagSeconds: null, note: /primary unreachable/ })
  t.match(judgeReplicaStatus(row, 5_000, true), { usable: false, reason: /IO thread not connected, lag unknown/ })
})

t.test("MySQL's Replica_* / *_Source columns read like MariaDB's Slave_* ones", async (t) => {
  t.same(normalizeStatusRow({ Replica_IO_Running: 'Yes', Replica_SQL_Running: 'No', Seconds_Behind_Source: null }), {
    Slave_IO_Running: 'Yes',
    Slave_SQL_Running: 'No',
    Seconds_Behind_Master: null
  })
  t.same(normalizeStatusRow({ Slave_IO_Running: 'Yes', Slave_SQL_Running: 'Yes', Seconds_Behind_Master: 3 }), {
    Slave_IO_Running: 'Yes',
    Slave_SQL_Running: 'Yes',
    Seconds_Behind_Master: 3
  })
  t.equal(normalizeStatusRow(undefined), undefined)
})
