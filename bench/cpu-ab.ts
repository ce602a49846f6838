// A/B of one Lifeguard setting, or of two builds, on one bench scenario's requests (GET
// /books/:id unless --scenario names another): two servers, alternating autocannon runs, and
// the server CPU each request cost (utime + stime from /proc/<pid>/stat, Linux only). CPU per
// request resolves a few percent where req/s on a shared 2-core host swings by tens
// (docs/bench/README.md, "Server-Timing"). Needs the bench database (`npm run bench` creates
// and seeds it). A side's settings are `NAME=value[,NAME=value]`, or `-` for none;
// --a-root/--b-root build that side from another checkout (a `git worktree` of an older commit).
//
//   npx ts-node -T bench/cpu-ab.ts HTTP_SERVER_TIMING=true HTTP_SERVER_TIMING=false [rounds]
//   npx ts-node -T bench/cpu-ab.ts HTTP_SERVER_TIMING=false HTTP_SERVER_TIMING=false   # A/A: the floor
//   npx ts-node -T bench/cpu-ab.ts --scenario=create --b-root=../old - -                 # this tree vs ../old
import { readFileSync } from 'node:fs'
import { compileForBench } from './compile'
import { REPO_ROOT, startServer } from './server-process'
import { runLoad, type RequestPlan } from './load'
import { FULL_SEED } from './bench-database'
import { allScenarios } from './scenarios'

const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'mariadb://root@127.0.0.1:3306/lifeguard_bench'
const CONNECTIONS = 50
const RUN_SECONDS = 4
/** Linux's USER_HZ: /proc counts CPU time in 1/100 s. */
const TICKS_PER_SECOND = 100

/** CPU seconds the process has used so far. */
function cpuSeconds(pid: number): number {
  // Fields after the command name's closing parenthesis; utime and stime are the 12th and 13th.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND
}

function envOf(settings: string): Record<string, string> {
  if (settings === '-') return {}
  return Object.fromEntries(
    settings.split(',').map((assignment) => {
      const [name, ...value] = assignment.split('=')
      if (!name || value.length === 0) throw new Error(`expected NAME=value[,NAME=value] or -, got ${settings}`)
      return [name, value.join('=')]
    })
  )
}

/** The named scenario's requests, as `npm run bench` sends them. */
function requestsOf(scenario: string): RequestPlan[] {
  const context = { databaseUrl: DATABASE_URL, seed: FULL_SEED, poolSize: 10, overloadConnections: 400, overloadAcquireTimeoutMs: 100, slowQuerySeconds: 0.005 }
  const found = allScenarios(context).find((each) => each.name === scenario)
  if (!found) throw new Error(`no bench scenario ${scenario}`)
  return found.requests
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

async function main() {
  const options = new Map(process.argv.slice(2).filter((arg) => arg.startsWith('--')).map((arg) => arg.slice(2).split('=') as [string, string]))
  const [a, b, roundsArg] = process.argv.slice(2).filter((arg) => !arg.startsWith('--'))
  if (!a || !b) throw new Error('usage: bench/cpu-ab.ts [--scenario=name] [--a-root=dir] [--b-root=dir] settingsA settingsB [rounds]')
  const rounds = Number(roundsArg ?? 8)
  const plan = requestsOf(options.get('scenario') ?? 'get-by-id')
  const builds = [compileForBench(options.get('a-root') ?? REPO_ROOT), compileForBench(options.get('b-root') ?? REPO_ROOT)]
  const base = { DATABASE_URL, DB_POOL_SIZE: '10' }
  const servers = [
    await startServer({ name: 'A', entry: 'src/server.ts', env: { ...base, ...envOf(a) } }, builds[0].outDir),
    await startServer({ name: 'B', entry: 'src/server.ts', env: { ...base, ...envOf(b) } }, builds[1].outDir)
  ]
  try {
    for (const server of servers) await runLoad(server.url, plan, { connections: CONNECTIONS, durationSec: 3 }) // warm-up
    const perRound = { rps: [] as number[], cpu: [] as number[] }
    for (let round = 0; round < rounds; round++) {
      // A B, then B A: a steady drift of the machine favours neither.
      const order = round % 2 === 0 ? servers : [...servers].reverse()
      const measured: Record<string, { rps: number; cpuUs: number }> = {}
      for (const server of order) {
        const before = cpuSeconds(server.pid)
        const result = await runLoad(server.url, plan, { connections: CONNECTIONS, durationSec: RUN_SECONDS })
        const answered = Object.values(result.statusCounts).reduce((sum, count) => sum + count, 0)
        measured[server.name] = { rps: result.requestsPerSec, cpuUs: ((cpuSeconds(server.pid) - before) * 1e6) / answered }
      }
      perRound.rps.push(measured.A.rps / measured.B.rps)
      perRound.cpu.push(measured.A.cpuUs / measured.B.cpuUs)
      console.log(
        `round ${round + 1}: A ${measured.A.rps} req/s ${measured.A.cpuUs.toFixed(1)} µs CPU/request, ` +
          `B ${measured.B.rps} req/s ${measured.B.cpuUs.toFixed(1)} µs CPU/request`
      )
    }
    const range = (values: number[]) => `${Math.min(...values).toFixed(3)}-${Math.max(...values).toFixed(3)}`
    console.log(`A (${a}) ÷ B (${b}), median of ${rounds} rounds (range):`)
    console.log(`  req/s            ${median(perRound.rps).toFixed(3)} (${range(perRound.rps)})`)
    console.log(`  CPU per request  ${median(perRound.cpu).toFixed(3)} (${range(perRound.cpu)})`)
  } finally {
    for (const server of servers) await server.stop()
    for (const build of builds) build.remove()
  }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
