import { createHmac, randomBytes } from 'node:crypto'
import type { SeedSize } from './bench-database'
import { SLOW_QUERY_SECONDS } from './bench-database'
import type { RequestPlan } from './load'
import type { Progress } from './measure'
import { LIFEGUARD_NO_POSITION, LIFEGUARD_PRIMARY_ONLY, REPLICA_COUNT, startReplicaReads, type ScenarioSetup } from './replica-reads'
import type { ServerSpec } from './server-process'

/** A claim from issue 4 checked against the medians of a run. */
export interface Target {
  label: string
  /** `ratio`: median over rounds of lifeguard ÷ `of`; `bound`: lifeguard req/s ÷ `bound`. */
  kind: 'ratio' | 'bound' | 'max-latency' | 'non-503-errors'
  of?: string
  bound?: number
  atLeast?: number
  atMost?: number
}

export interface Scenario {
  name: string
  description: string
  /** Lifeguard first, then the ceiling baseline every ratio is taken against, then others. */
  servers: ServerSpec[]
  requests: RequestPlan[]
  /** Concurrent HTTP connections; the run's default (50) when absent. */
  connections?: number
  targets: Target[]
  /** What bounds this scenario, for the README. */
  limitedBy: string
  /** Runs only when named on the command line. */
  optIn?: boolean
  /**
   * Servers driven with requests of their own instead of `requests` (bulk vs one-row POSTs),
   * and how many rows each of their requests writes: ratios then compare rows/s, not req/s.
   */
  perServer?: Record<string, ServerLoad>
  /**
   * Starts what the scenario needs beyond the bench database (private MariaDB servers) and
   * gives the servers to measure, which replace `servers`; stopped after the scenario's rounds.
   */
  setup?: (progress: Progress) => Promise<ScenarioSetup>
}

export interface ServerLoad {
  requests: RequestPlan[]
  rowsPerRequest: number
}

export interface ScenarioContext {
  databaseUrl: string
  seed: SeedSize
  poolSize: number
  /** Concurrency of the overload scenario. */
  overloadConnections: number
  /** DB_POOL_ACQUIRE_TIMEOUT_MS of the overload scenario. */
  overloadAcquireTimeoutMs: number
  /** Measured cost of one slow_books read on one connection (nominally SLOW_QUERY_SECONDS). */
  slowQuerySeconds: number
}

export const LIFEGUARD = 'lifeguard'
export const POOL = 'pool'
export const SINGLE = 'single'
export const PER_REQUEST = 'per-request'
/** Lifeguard with AUTH_MODE=off, the reference of the authenticated scenario. */
export const LIFEGUARD_OPEN = 'lifeguard-open'

/** Lifeguard with HTTP_SERVER_TIMING=false, the reference of the server-timing scenario. */
export const LIFEGUARD_NO_TIMING = 'lifeguard-no-timing'

/** Lifeguard driven with one-row POSTs, the reference of the bulk-create scenario. */
export const LIFEGUARD_ONE_ROW = 'lifeguard-one-row'

/** Rows per request of the bulk-create scenario: REST_BULK_MAX's default, issue 11's figure. */
export const BULK_ROWS = 1000

/** The bench's HS256 secret, and a token (an editor, valid for a day) signed with it. */
const BENCH_JWT_SECRET = 'bench-secret-bench-secret-bench-secret!'
const BENCH_TOKEN = hs256Token({ sub: 'bench', roles: ['editor'], exp: Math.floor(Date.now() / 1000) + 86_400 }, BENCH_JWT_SECRET)

function hs256Token(claims: object, secret: string): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const input = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}`
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`
}

const randomId = (max: number) => 1 + Math.floor(Math.random() * max)

function servers(context: ScenarioContext, lifeguardEntry: string, extraLifeguardEnv: Record<string, string> = {}) {
  const env = { DATABASE_URL: context.databaseUrl, DB_POOL_SIZE: String(context.poolSize) }
  return {
    lifeguard: { name: LIFEGUARD, entry: lifeguardEntry, env: { ...env, ...extraLifeguardEnv } },
    pool: { name: POOL, entry: 'bench/baselines/pool.ts', env },
    single: { name: SINGLE, entry: 'bench/baselines/single-connection.ts', env },
    perRequest: { name: PER_REQUEST, entry: 'bench/baselines/connection-per-request.ts', env }
  }
}

/** GET by id against `path` with a random seeded id per request. */
function randomGet(path: string, seed: SeedSize): RequestPlan[] {
  return [{ method: 'GET', setupRequest: (request) => ({ ...request, path: `${path}/${randomId(seed.books)}` }) }]
}

/** A POST whose JSON body is made fresh for every request. */
function freshPost(path: string, body: () => object): RequestPlan[] {
  return [
    {
      method: 'POST',
      path,
      headers: { 'content-type': 'application/json' },
      setupRequest: (request) => ({ ...request, body: JSON.stringify(body()) })
    }
  ]
}

/** ISBNs unique across processes and runs: a random prefix per bench process plus a counter. */
function isbnSource(): () => string {
  const prefix = 'b' + randomBytes(4).toString('hex')
  let counter = 0
  return () => prefix + (counter++).toString(36)
}

export function allScenarios(context: ScenarioContext): Scenario[] {
  const plain = servers(context, 'src/server.ts')
  const slow = servers(context, 'bench/servers/lifeguard-with-slow-books.ts')
  const nextIsbn = isbnSource()
  const newBook = () => ({ title: 'Bench book', isbn: nextIsbn(), price: 12.5, stock: 10, authorId: randomId(context.seed.authors) })
  const bulkPost = freshPost('/books', () => Array.from({ length: BULK_ROWS }, newBook))
  const physicalBound = Math.round(context.poolSize / context.slowQuerySeconds)
  const queryMs = (context.slowQuerySeconds * 1000).toFixed(2)
  return [
    {
      name: 'ready',
      description: 'GET /health/ready (SELECT 1 through the pool); a harness check, not a target',
      servers: [plain.lifeguard, plain.pool],
      requests: [{ method: 'GET', path: '/health/ready' }],
      targets: [],
      limitedBy: 'CPU of the Node server and the load generator',
      optIn: true
    },
    {
      name: 'get-by-id',
      description: 'GET /books/:id, random seeded id',
      servers: [plain.lifeguard, plain.pool],
      requests: randomGet('/books', context.seed),
      targets: [{ label: 'get by id ≥ 0.95 of pool baseline', kind: 'ratio', of: POOL, atLeast: 0.95 }],
      limitedBy: 'CPU: Node server, MariaDB and the load generator share 2 cores; a PK read costs MariaDB little'
    },
    {
      name: 'authenticated-get-by-id',
      description: 'GET /books/:id with an HS256 Bearer token (AUTH_MODE=jwt) vs the same server with AUTH_MODE=off',
      servers: [
        { ...plain.lifeguard, env: { ...plain.lifeguard.env, AUTH_MODE: 'jwt', AUTH_JWT_SECRET: BENCH_JWT_SECRET } },
        { ...plain.lifeguard, name: LIFEGUARD_OPEN }
      ],
      // The same header for both: the open server ignores it, so only verification differs.
      requests: randomGet('/books', context.seed).map((plan) => ({ ...plan, headers: { authorization: `Bearer ${BENCH_TOKEN}` } })),
      targets: [{ label: 'authenticated get by id ≥ 0.90 of unauthenticated', kind: 'ratio', of: LIFEGUARD_OPEN, atLeast: 0.9 }],
      limitedBy: 'CPU, as get-by-id; the difference is token verification (a cache hit after the first) and the access hook'
    },
    {
      name: 'server-timing-get-by-id',
      description: 'GET /books/:id with Server-Timing (HTTP_SERVER_TIMING=true, the default) vs the same server with it off',
      servers: [
        { ...plain.lifeguard, env: { ...plain.lifeguard.env, HTTP_SERVER_TIMING: 'true' } },
        { ...plain.lifeguard, name: LIFEGUARD_NO_TIMING, env: { ...plain.lifeguard.env, HTTP_SERVER_TIMING: 'false' } }
      ],
      requests: randomGet('/books', context.seed),
      targets: [{ label: 'get by id with Server-Timing ≥ 0.97 of without', kind: 'ratio', of: LIFEGUARD_NO_TIMING, atLeast: 0.97 }],
      limitedBy: 'CPU, as get-by-id; the difference is the timing (a few performance.now() per request) and one header',
      optIn: true
    },
    {
      name: 'list',
      description: 'GET /books?where.price.lt=20&orderby.title=asc&limit=20',
      servers: [plain.lifeguard, plain.pool],
      requests: [{ method: 'GET', path: '/books?where.price.lt=20&orderby.title=asc&limit=20' }],
      targets: [{ label: 'list ≥ 0.90 of pool baseline', kind: 'ratio', of: POOL, atLeast: 0.9 }],
      limitedBy: 'Node CPU, as get-by-id: MariaDB walks the index on title and stops after 21 rows priced under 20 (~140 read); before migration list-field-indexes it scanned and sorted the table'
    },
    {
      name: 'include-author',
      description: 'GET /books?include=author&limit=20 (a to-one embed) vs a hand-written JOIN',
      servers: [plain.lifeguard, plain.pool],
      requests: [{ method: 'GET', path: '/books?include=author&limit=20' }],
      targets: [{ label: 'include=author ≥ 0.85 of a hand-written JOIN', kind: 'ratio', of: POOL, atLeast: 0.85 }],
      limitedBy: 'Node CPU: 20 rows with 20 nested objects to build and serialise; MariaDB joins on the primary key'
    },
    {
      name: 'include-books',
      description: 'GET /authors?include=books&limit=20 (a to-many embed: 20 authors × 20 books) vs a hand-written two-query route',
      servers: [plain.lifeguard, plain.pool],
      requests: [{ method: 'GET', path: '/authors?include=books&limit=20' }],
      targets: [{ label: 'include=books ≥ 0.85 of its hand-written two queries', kind: 'ratio', of: POOL, atLeast: 0.85 }],
      limitedBy: 'MariaDB CPU (ROW_NUMBER over each author\'s 100 books) and Node CPU (400 book rows per answer)'
    },
    {
      name: 'create',
      description: 'POST /books, unique isbn per request',
      servers: [plain.lifeguard, plain.pool],
      requests: freshPost('/books', newBook),
      targets: [{ label: 'create ≥ 0.90 of pool baseline', kind: 'ratio', of: POOL, atLeast: 0.9 }],
      limitedBy: 'MariaDB commits (one InnoDB log flush per autocommit INSERT) and Node CPU'
    },
    {
      name: 'place-order',
      description: 'POST /orders {bookId: random, quantity: 1}, one transaction',
      servers: [plain.lifeguard, plain.pool],
      requests: freshPost('/orders', () => ({ bookId: randomId(context.seed.books), quantity: 1 })),
      targets: [{ label: 'place order ≥ 0.85 of pool baseline', kind: 'ratio', of: POOL, atLeast: 0.85 }],
      limitedBy: 'round trips: 5-6 statements on one held connection, plus the commit flush'
    },
    {
      // After the other writes and before the slow reads: it adds ~10^5 books per round, which
      // the list scenario would scan; primary-key reads do not mind.
      name: 'bulk-create',
      description: `POST /books with ${BULK_ROWS} rows per request vs one-row POSTs to the same server, in rows/s`,
      servers: [plain.lifeguard, { ...plain.lifeguard, name: LIFEGUARD_ONE_ROW }],
      requests: bulkPost,
      perServer: {
        [LIFEGUARD]: { requests: bulkPost, rowsPerRequest: BULK_ROWS },
        [LIFEGUARD_ONE_ROW]: { requests: freshPost('/books', newBook), rowsPerRequest: 1 }
      },
      targets: [{ label: `bulk of ${BULK_ROWS} ≥ 10× the rows/s of one-row POSTs`, kind: 'ratio', of: LIFEGUARD_ONE_ROW, atLeast: 10 }],
      limitedBy: 'Node CPU: validating, binding and serialising 1000 rows per request; MariaDB inserts them in six statements'
    },
    {
      name: 'slow-database',
      description: `GET /slow-books/:id, every query sleeps ${SLOW_QUERY_SECONDS * 1000} ms on the server`,
      servers: [slow.lifeguard, slow.pool, slow.single, slow.perRequest],
      requests: randomGet('/slow-books', context.seed),
      targets: [
        {
          label: `≥ 0.9 of pool size / query time (${context.poolSize} / ${queryMs} ms = ${physicalBound} req/s)`,
          kind: 'bound',
          bound: physicalBound,
          atLeast: 0.9
        },
        { label: '≥ 8× one global connection', kind: 'ratio', of: SINGLE, atLeast: 8 },
        { label: '≥ 2.5× connection per request', kind: 'ratio', of: PER_REQUEST, atLeast: 2.5 }
      ],
      limitedBy: `the pool: ${context.poolSize} connections each busy ${SLOW_QUERY_SECONDS * 1000} ms per query`
    },
    {
      name: 'overload',
      description:
        `GET /slow-books/:id with ${context.overloadConnections} connections, pool ${context.poolSize}, ` +
        `DB_POOL_ACQUIRE_TIMEOUT_MS=${context.overloadAcquireTimeoutMs}`,
      servers: [
        servers(context, slow.lifeguard.entry, { DB_POOL_ACQUIRE_TIMEOUT_MS: String(context.overloadAcquireTimeoutMs) })
          .lifeguard,
        slow.pool
      ],
      requests: randomGet('/slow-books', context.seed),
      connections: context.overloadConnections,
      targets: [
        {
          label: `no answer slower than acquire timeout + 100 ms (${context.overloadAcquireTimeoutMs + 100} ms)`,
          kind: 'max-latency',
          atMost: context.overloadAcquireTimeoutMs + 100
        },
        { label: 'zero errors other than 503', kind: 'non-503-errors', atMost: 0 }
      ],
      limitedBy: 'the pool by design: what cannot get a connection within the acquire timeout is refused with 503'
    },
    {
      // Opt-in: it starts three private MariaDB servers of its own (bench/replica-reads.ts).
      name: 'replica-reads',
      description:
        `GET /slow-books/:id (~${SLOW_QUERY_SECONDS * 1000} ms per query), Lifeguard with ${REPLICA_COUNT} private replicas ` +
        `vs on their primary alone, pool ${context.poolSize} per node`,
      servers: [],
      setup: (progress) => startReplicaReads(context.seed, context.poolSize, progress),
      requests: randomGet('/slow-books', context.seed),
      // Enough to keep every node's pool busy (pool × nodes × 2), so neither side is short of load.
      connections: context.poolSize * (1 + REPLICA_COUNT) * 2,
      targets: [
        { label: `primary + ${REPLICA_COUNT} replicas ≥ 2.5× primary alone`, kind: 'ratio', of: LIFEGUARD_PRIMARY_ONLY, atLeast: 2.5 }
      ],
      limitedBy:
        `the pools: ${context.poolSize} connections per node each busy ~${SLOW_QUERY_SECONDS * 1000} ms; the primary ` +
        `takes the reads the saturated replicas spill over; at pool 10, the host's CPU`,
      optIn: true
    },
    {
      // Opt-in, like replica-reads: the same private servers; both Lifeguards have the replicas.
      name: 'replica-position',
      description:
        `GET /slow-books/:id with a caught-up Lifeguard-Position (read-your-writes) vs without, ` +
        `${REPLICA_COUNT} private replicas, pool ${context.poolSize} per node`,
      servers: [],
      setup: (progress) =>
        startReplicaReads(context.seed, context.poolSize, progress, {
          kind: 'replica-position',
          reads: (headers) => randomGet('/slow-books', context.seed).map((plan) => ({ ...plan, headers }))
        }),
      requests: randomGet('/slow-books', context.seed),
      connections: context.poolSize * (1 + REPLICA_COUNT) * 2,
      targets: [{ label: 'read-your-writes on a caught-up replica costs ≤ 10% (≥ 0.90 of reads without a position)', kind: 'ratio', of: LIFEGUARD_NO_POSITION, atLeast: 0.9 }],
      limitedBy: 'as replica-reads; a caught-up position is known from the probes, so it costs a header parse and no statement',
      optIn: true
    }
  ]
}
