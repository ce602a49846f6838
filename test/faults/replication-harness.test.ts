import t from 'tap'
import mysql from 'mysql2/promise'
import { PrivateReplication } from './private-replication'

// Issue 12's harness: a private primary and replica on loopback, replicating by GTID. This
// proves the harness itself (no Lifeguard code): rows follow, a stopped SQL thread holds them
// back and MASTER_GTID_WAIT says so, and the replica refuses an ordinary account's writes.

const DB = 'repl_harness'

type Rows = [Array<Record<string, unknown>>]

t.test('a primary and a GTID replica on loopback', async (t) => {
  const started = Date.now()
  const replication = await PrivateReplication.start(t)
  t.comment(`primary on ${replication.primary.port}, replica on ${replication.replica.port}, up in ${Date.now() - started} ms`)
  // A connection per statement, so the statements work across the restarts below.
  const primary = { query: (sql: string) => replication.onPrimary((c) => c.query(sql)) }
  const replica = { query: (sql: string) => replication.onReplica((c) => c.query(sql)) }
  const namesOnReplica = async () => {
    const [rows] = (await replica.query(`SELECT name FROM ${DB}.item ORDER BY id`)) as unknown as Rows
    return rows.map((row) => row.name)
  }

  const status = await replication.replicaStatus()
  t.equal(status.Slave_IO_Running, 'Yes')
  t.equal(status.Slave_SQL_Running, 'Yes')
  const [[settings]] = (await primary.query(
    'SELECT @@server_id AS serverId, @@log_bin AS logBin, @@binlog_format AS format, @@gtid_strict_mode AS strict, @@log_slave_updates AS logSlaveUpdates'
  )) as unknown as Rows
  t.same(settings, { serverId: 1, logBin: 1, format: 'ROW', strict: 1, logSlaveUpdates: 1 }, 'the primary writes a strict-GTID ROW binlog')
  const [[replicaSettings]] = (await replica.query('SELECT @@server_id AS serverId, @@read_only AS readOnly')) as unknown as Rows
  t.same(replicaSettings, { serverId: 2, readOnly: 1 }, 'the replica is read-only')

  await t.test('a table and a row made on the primary reach the replica', async (t) => {
    await primary.query(`CREATE DATABASE ${DB}`)
    await primary.query(`CREATE TABLE ${DB}.item (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(50) NOT NULL)`)
    await primary.query(`INSERT INTO ${DB}.item (name) VALUES ('first')`)
    const position = await replication.primaryPosition()
    t.match(position, /^0-1-\d+$/, `a GTID position in domain 0 from server 1: ${position}`)
    t.equal(await replication.waitForReplica(position, 5_000), true, 'MASTER_GTID_WAIT returns 0')
    t.same(await namesOnReplica(), ['first'])
    t.equal(await replication.replicaLagSeconds(), 0, 'caught up: no lag')
  })

  await t.test('SQL thread stopped: the row waits, MASTER_GTID_WAIT times out; started: it arrives', async (t) => {
    await replication.stopReplicaSql()
    t.equal((await replication.replicaStatus()).Slave_SQL_Running, 'No')
    await primary.query(`INSERT INTO ${DB}.item (name) VALUES ('second')`)
    const position = await replication.primaryPosition()
    // The IO thread still fetches: the event is in the relay log, just not applied.
    const deadline = Date.now() + 5_000
    while ((await replication.replicaStatus()).Gtid_IO_Pos !== position && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 25))
    }
    t.equal((await replication.replicaStatus()).Gtid_IO_Pos, position, 'the IO thread has received the transaction')
    const waitStarted = Date.now()
    t.equal(await replication.waitForReplica(position, 300), false, 'MASTER_GTID_WAIT returns -1 (timed out)')
    t.ok(Date.now() - waitStarted >= 250, 'after about its timeout')
    t.same(await namesOnReplica(), ['first'], 'the new row is not on the replica')
    t.equal(await replication.replicaLagSeconds(), null, 'Seconds_Behind_Master is NULL while the SQL thread is stopped')

    await replication.startReplicaSql()
    t.equal(await replication.waitForReplica(position, 5_000), true, 'caught up after START SLAVE SQL_THREAD')
    t.same(await namesOnReplica(), ['first', 'second'])
  })

  await t.test('SQL thread held by a global read lock on the replica: lag grows while it runs', async (t) => {
    const release = await replication.holdReplicaApply()
    await primary.query(`INSERT INTO ${DB}.item (name) VALUES ('third')`)
    const position = await replication.primaryPosition()
    // Seconds_Behind_Master counts whole seconds from the event's timestamp: ≥ 1 within about a second.
    let lag: number | null = 0
    const deadline = Date.now() + 5_000
    while (Date.now() < deadline && !((lag = await replication.replicaLagSeconds()) !== null && lag >= 1)) {
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    t.ok(lag !== null && lag >= 1, `Seconds_Behind_Master grew to ${lag}`)
    t.equal((await replication.replicaStatus()).Slave_SQL_Running, 'Yes', 'the SQL thread still runs')
    t.equal(await replication.waitForReplica(position, 200), false, 'MASTER_GTID_WAIT times out')
    t.same(await namesOnReplica(), ['first', 'second'], 'the row is not there yet')
    await release()
    t.equal(await replication.waitForReplica(position, 5_000), true, 'applied once the lock is released')
    t.same(await namesOnReplica(), ['first', 'second', 'third'])
    t.equal(await replication.replicaLagSeconds(), 0, 'no lag once caught up')
  })

  await t.test('either server restarted: replication resumes by itself', async (t) => {
    await replication.replica.restart()
    await primary.query(`INSERT INTO ${DB}.item (name) VALUES ('after replica restart')`)
    t.equal(await replication.waitForReplica(await replication.primaryPosition(), 5_000), true, 'the restarted replica replicates again')
    const beforeRestart = await replication.primaryPosition()
    await replication.primary.restart()
    t.equal(await replication.primaryPosition(), beforeRestart, 'the primary keeps its GTID position across a restart')
    await primary.query(`INSERT INTO ${DB}.item (name) VALUES ('after primary restart')`)
    t.equal(await replication.waitForReplica(await replication.primaryPosition(), 5_000), true, 'the replica reconnects to the restarted primary')
    t.same((await replication.waitUntilRunning()).Slave_IO_Running, 'Yes')
    t.same(await namesOnReplica(), ['first', 'second', 'third', 'after replica restart', 'after primary restart'])
    await primary.query(`DELETE FROM ${DB}.item WHERE name LIKE 'after %'`)
    t.equal(await replication.waitForReplica(await replication.primaryPosition(), 5_000), true)
  })

  await t.test('the replica refuses a write by an account without READ ONLY ADMIN (read_only, 1290)', async (t) => {
    // Made on the primary, the account replicates like the data does.
    await primary.query("CREATE USER 'app'@'127.0.0.1' IDENTIFIED BY 'app-secret'")
    await primary.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ${DB}.* TO 'app'@'127.0.0.1'`)
    t.equal(await replication.waitForReplica(await replication.primaryPosition(), 5_000), true)
    const app = await mysql.createConnection({ host: '127.0.0.1', port: replication.replica.port, user: 'app', password: 'app-secret' })
    t.teardown(() => app.end().catch(() => {}))
    const [rows] = (await app.query(`SELECT name FROM ${DB}.item ORDER BY id`)) as unknown as Rows
    t.same(rows.map((row) => row.name), ['first', 'second', 'third'], 'it may read')
    await t.rejects(app.query(`INSERT INTO ${DB}.item (name) VALUES ('on the replica')`), { errno: 1290, code: 'ER_OPTION_PREVENTS_STATEMENT' })
    t.same(await namesOnReplica(), ['first', 'second', 'third'], 'nothing written')
  })
})
