import { mkdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describeSource } from './index'
import { REPO_ROOT } from './server-process'
import { measureSizes, startSizeServer, type SizeServer, type SizeRun } from './query-cost/measure'
import { markdownTable, sizeLabel, summarise, type KindSummary } from './query-cost/report'
import { REQUEST_KINDS } from './query-cost/requests'
import { dropSizedDatabases, prepareSizedDatabase } from './query-cost/seed'
import { svgCurves } from './query-cost/svg-curves'

/*
 * Issue 14's latency bench: list requests on books tables of 10k, 100k and 1M rows, one request
 * at a time over real HTTP, medians per request kind and their growth with the table.
 *
 *   npx ts-node --transpile-only bench/query-cost.ts             # results in bench/.tmp/results/
 *   npx ts-node --transpile-only bench/query-cost.ts --publish   # ... in docs/bench/
 *   npx ts-node --transpile-only bench/query-cost.ts --drop      # drop the seeded databases, measure nothing
 *
 * Knobs: QC_SIZES (10000,100000,1000000), QC_REPETITIONS (40), QC_WARMUP (5),
 * BENCH_SERVER_URL (mariadb://root@127.0.0.1:3306; databases lifeguard_qcbench_<size>).
 */

const sizes = (process.env.QC_SIZES ?? '10000,100000,1000000').split(',').map(Number)
const settings = { repetitions: Number(process.env.QC_REPETITIONS ?? 40), warmup: Number(process.env.QC_WARMUP ?? 5) }
const serverUrl = process.env.BENCH_SERVER_URL ?? 'mariadb://root@127.0.0.1:3306'
const publish = process.argv.includes('--publish')
const outDir = publish ? path.join(REPO_ROOT, 'docs/bench') : path.join(REPO_ROOT, 'bench/.tmp/results')
const databaseName = (books: number) => `lifeguard_qcbench_${sizeLabel(books).toLowerCase()}`
const log = (line: string) => process.stderr.write(`[query-cost] ${line}\n`)

async function main(): Promise<void> {
  if (process.argv.includes('--drop')) {
    await dropSizedDatabases(serverUrl, sizes.map(databaseName))
    log(`dropped ${sizes.map(databaseName).join(', ')}`)
    return
  }
  const source = describeSource(REPO_ROOT)
  const startedAt = new Date().toISOString()
  const loadBefore = os.loadavg()[0]
  const servers: SizeServer[] = []
  let runs: SizeRun[]
  try {
    for (const books of sizes) {
      const databaseUrl = `${serverUrl}/${databaseName(books)}`
      await prepareSizedDatabase(databaseUrl, books, log)
      servers.push(await startSizeServer(databaseUrl, books))
    }
    log(`measuring ${sizes.map(sizeLabel).join(', ')}: ${REQUEST_KINDS.length} kinds × ${settings.repetitions} (+${settings.warmup} warm-up) each`)
    runs = await measureSizes(servers, settings)
  } finally {
    for (const server of servers) await server.close()
  }
  const summaries = summarise(runs)
  const machine =
    `${os.availableParallelism()} CPUs (${os.cpus()[0]?.model ?? 'unknown'}), Node ${process.version}, ` +
    `load average ${loadBefore.toFixed(1)} at the start and ${os.loadavg()[0].toFixed(1)} at the end`
  const commit = source.commit.slice(0, 7) + (source.dirty ? ' + local changes' : '')
  const table = markdownTable(sizes, summaries)
  process.stdout.write('\n' + table + '\n' + goalLines(summaries).join('\n') + '\n')
  mkdirSync(outDir, { recursive: true })
  const header =
    `Measured on commit ${commit} from ${startedAt} to ${new Date().toISOString()}: ${machine}. ` +
    `One Lifeguard per size in-process (buildApp), asked over HTTP on 127.0.0.1 one request at a time; ` +
    `${settings.repetitions} requests per kind and size after ${settings.warmup} warm-up, sizes and kinds taking turns (a round is one request of each kind at each size).`
  writeFileSync(path.join(outDir, 'query-cost.md'), resultsMarkdown(header, table, summaries, runs))
  writeFileSync(path.join(outDir, 'query-cost.json'), JSON.stringify({ source, startedAt, machine, settings, sizes, summaries, runs }, null, 2) + '\n')
  writeFileSync(path.join(outDir, 'query-cost.svg'), svgCurves(`GET /books: median ms by table size, ${commit}`, sizes, summaries))
  log(`wrote query-cost.md, query-cost.json, query-cost.svg to ${path.relative(REPO_ROOT, outDir)}`)
}

function goalLines(summaries: KindSummary[]): string[] {
  return summaries.filter((s) => s.verdict).map((s) => `${s.verdict!.met ? 'PASS' : 'FAIL'}  ${s.name}: ${s.verdict!.text}`)
}

function resultsMarkdown(header: string, table: string, summaries: KindSummary[], runs: SizeRun[]): string {
  const plans = [
    '| request | ' + runs.map((r) => `${sizeLabel(r.books)}: access, rows read (est.), sort`).join(' | ') + ' |',
    '|---|' + runs.map(() => '---').join('|') + '|'
  ]
  for (const kind of REQUEST_KINDS) {
    const cells = runs.map((run) => {
      const plan = run.kinds.find((k) => k.name === kind.name)?.plan
      if (!plan) return '—'
      const count = plan.countScanRows === undefined ? '' : `; count: ${plan.countAccess}, ${plan.countScanRows}`
      return `${plan.access}, ${plan.scanRows}${plan.filesort ? ', filesort' : ''}${count}`
    })
    plans.push(`| ${kind.name} | ${cells.join(' | ')} |`)
  }
  const counts = runs.map((run) => {
    const answers = run.kinds.filter((k) => k.totalCount !== undefined).map((k) => `${k.name}: ${k.totalCount} (${k.countApplied})`)
    return `- ${sizeLabel(run.books)}: ${answers.join('; ')}`
  })
  const requests = REQUEST_KINDS.map((kind) => `- ${kind.name}: \`${kind.path({ books: 1_000_000, cursors: { byId: '…', byPrice: '…', byAuthor: '…' } })}\``)
  return [
    '# Query cost by table size (issue 14)',
    '',
    header,
    '',
    '![median ms by table size](query-cost.svg)',
    '',
    table,
    'Medians (p90 in brackets) in ms, client side, from sending the request to reading the whole body. ' +
      'Goals (issue 14): a cursor or indexed request at the largest size within 2× of its time at the smallest; ' +
      '`totalCount=estimated` ≤ 5 ms, judged on what the count adds to the same request without it ("count adds": ' +
      'per size, the median of the round-by-round differences), since the page alone varies by more than 5 ms on a shared host. ' +
      'Offsets and exact counts have no goal: they are the curve the others avoid.',
    '',
    ...goalLines(summaries).map((line) => `    ${line}`),
    '',
    '## Requests (at 1M rows)',
    '',
    ...requests,
    '',
    '## What each reads (REST_EXPLAIN plan answer)',
    '',
    "The optimiser's estimates, asked once per kind after the timed rounds (`Accept: application/vnd.lifeguard.plan+json`): " +
      'how the first table is read, the rows it reads for the page, whether it sorts; for a count the same of its `SELECT COUNT(*)`.',
    '',
    ...plans,
    '',
    '## Counts answered',
    '',
    ...counts,
    ''
  ].join('\n')
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
