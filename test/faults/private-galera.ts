import { existsSync, readFileSync } from 'node:fs'
import { chmod, chown, mkdir } from 'node:fs/promises'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import mysql from 'mysql2/promise'
import { PrivateMariaDb } from './private-mariadb'
import { freePort } from '../support/free-port'

type Tap = { teardown(fn: () => unknown): void }

/** Where Debian's galera-4 (and other distributions) put the wsrep provider; `$GALERA_PROVIDER` first. */
const PROVIDER_PATHS = ['/usr/lib/galera/libgalera_smm.so', '/usr/lib/libgalera_smm.so', '/usr/lib64/galera-4/libgalera_smm.so']

/** How long a joiner gets for its state transfer and the first node for the cluster to form. */
const SYNCED_TIMEOUT_MS = 20_000

/** The Galera provider library, or undefined when none is installed: the test skips then. */
export function findGaleraProvider(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return [env.GALERA_PROVIDER, ...PROVIDER_PATHS].find((file): file is string => Boolean(file) && existsSync(file!))
}

/**
 * A private Galera cluster on loopback (issue 12 item 5): PrivateMariaDb servers with wsrep on,
 * each with its own data directory, client port, group port, IST port and state-transfer port.
 * The first node starts a new cluster; each next one joins it and receives the first one's data
 * by rsync SST (`wsrep_sst_rsync`, the rsync package). Stopped joiners first, in teardown.
 */
export class PrivateGalera {
  private constructor(readonly nodes: PrivateMariaDb[]) {}

  static async start(t: Tap, size = 2): Promise<PrivateGalera> {
    const provider = findGaleraProvider()
    if (!provider) throw new Error('no Galera provider (libgalera_smm.so): install galera-4 or set GALERA_PROVIDER')
    const cluster = `lg-galera-${randomBytes(3).toString('hex')}`
    const nodes: PrivateMariaDb[] = []
    for (let i = 0; i < size; i++) {
      const [groupPort, istPort, sstPort] = await Promise.all([freePort(), freePort(), freePort()])
      const joinAddress = nodes.length === 0 ? 'gcomm://' : `gcomm://${nodes.map((node) => groupAddress.get(node)).join(',')}`
      const node = await PrivateMariaDb.start(
        t,
        [
          '--wsrep-on=ON',
          `--wsrep-provider=${provider}`,
          `--wsrep-cluster-name=${cluster}`,
          `--wsrep-cluster-address=${joinAddress}`,
          `--wsrep-node-address=127.0.0.1:${groupPort}`,
          // A peer that stops answering is declared gone after 2 s instead of 5, so a test that
          // freezes a node sees the rest of the cluster lose its quorum quickly.
          `--wsrep-provider-options=base_port=${groupPort};ist.recv_addr=127.0.0.1:${istPort};gcache.size=16M;` +
            'evs.keepalive_period=PT0.5S;evs.suspect_timeout=PT2S;evs.inactive_timeout=PT3S',
          `--wsrep-sst-receive-address=127.0.0.1:${sstPort}`,
          '--wsrep-sst-method=rsync',
          // What Galera requires of every node: row-based writesets, interleaved auto-increment locks.
          '--binlog-format=ROW',
          '--innodb-autoinc-lock-mode=2',
          ...(nodes.length === 0 ? ['--wsrep-new-cluster'] : [])
        ],
        { createDataDir: nodes.length === 0 ? undefined : emptyForRsync }
      )
      groupAddress.set(node, `127.0.0.1:${groupPort}`)
      nodes.push(node)
      await waitUntilSynced(node, nodes.length)
    }
    return new PrivateGalera(nodes)
  }

  /** `wsrep_cluster_status` of node `index`: `Primary`, or `non-Primary` once it has lost its quorum. */
  clusterStatus(index: number): Promise<string> {
    return this.on(index, async (connection) => {
      const [rows] = await connection.query("SHOW STATUS LIKE 'wsrep_cluster_status'")
      return (rows as Array<{ Value: string }>)[0].Value
    })
  }

  /** Polls until node `index` reports `status`. */
  async waitForClusterStatus(index: number, status: string, timeoutMs = SYNCED_TIMEOUT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs
    let last = ''
    while (Date.now() < deadline) {
      last = await this.clusterStatus(index).catch((err: Error) => err.message)
      if (last === status) return
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    throw new Error(`node ${index} is still ${last}, not ${status}, after ${timeoutMs} ms`)
  }

  /** Runs `fn` on a fresh root connection to node `index`, closed afterwards. */
  async on<T>(index: number, fn: (connection: mysql.Connection) => Promise<T>): Promise<T> {
    const connection = await this.nodes[index].admin()
    try {
      return await fn(connection)
    } finally {
      await connection.end()
    }
  }
}

const groupAddress = new WeakMap<PrivateMariaDb, string>()

/**
 * A joiner receives its whole data directory from the donor, so it starts from an empty one.
 * rsync's daemon, started as root by the joiner's wsrep_sst_rsync, runs as `nobody` (rsyncd's
 * default uid for a super-user; the script's rsyncd.conf sets none), so that directory must be
 * that user's, and its parent passable. Without: "rsync: [Receiver] ERROR: cannot stat
 * destination "." (in rsync_sst): Permission denied (13)" on the donor, and the joiner aborts
 * ("Will never receive state. Need to abort."). Not root: the daemon stays the directory's owner.
 */
async function emptyForRsync(dir: string): Promise<void> {
  const data = path.join(dir, 'data')
  await mkdir(data, { mode: 0o700 })
  if (process.getuid?.() !== 0) return
  const { uid, gid } = nobody()
  await chmod(dir, 0o711)
  await chown(data, uid, gid)
}

function nobody(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith('nobody:'))
  const [, , uid, gid] = line?.split(':') ?? []
  return { uid: Number(uid ?? 65534), gid: Number(gid ?? 65534) }
}

/** Until the node says Synced and sees `size` members: before that it refuses queries (1047). */
async function waitUntilSynced(node: PrivateMariaDb, size: number): Promise<void> {
  const deadline = Date.now() + SYNCED_TIMEOUT_MS
  let last = 'no answer'
  while (Date.now() < deadline) {
    try {
      const connection = await node.admin()
      try {
        const [rows] = await connection.query(
          "SHOW STATUS WHERE Variable_name IN ('wsrep_local_state_comment', 'wsrep_cluster_size', 'wsrep_ready')"
        )
        const status = Object.fromEntries((rows as Array<{ Variable_name: string; Value: string }>).map((row) => [row.Variable_name, row.Value]))
        last = JSON.stringify(status)
        if (status.wsrep_local_state_comment === 'Synced' && status.wsrep_ready === 'ON' && Number(status.wsrep_cluster_size) === size) return
      } finally {
        await connection.end()
      }
    } catch (err) {
      last = (err as Error).message
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`Galera node on port ${node.port} not synced in a cluster of ${size} after ${SYNCED_TIMEOUT_MS} ms (${last}); see ${node.dataDir}/server.log`)
}
