import { mkdtempSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { FULL_SEED } from './bench-database'
import { runBench, type BenchOptions } from './index'
import { profileMarkdown } from './profile/cpu-profile'
import { REPO_ROOT } from './server-process'

/** Default output: git-ignored, so a run for a look (or on a busy machine) changes no tracked file. */
export const SCRATCH_OUT = path.join(REPO_ROOT, 'bench', '.tmp', 'results')
/** The published results, written only by `npm run bench -- --publish`. */
export const PUBLISHED_OUT = path.join(REPO_ROOT, 'docs', 'bench')

/**
 * `npm run bench [-- [--publish] scenario ...]`. Knobs are environment variables so CI and
 * humans set them the same way; defaults are the full measured run (about 5 minutes on 2 cores).
 * Results go to bench/.tmp/results/ unless `--publish` (docs/bench/) or `BENCH_OUT` says otherwise.
 */
export function readOptions(env: NodeJS.ProcessEnv, args: string[]): BenchOptions & { publish: boolean } {
  const flags = args.filter((arg) => arg.startsWith('-'))
  const unknown = flags.filter((flag) => flag !== '--publish')
  if (unknown.length) throw new Error(`unknown option ${unknown.join(', ')}; known: --publish (write into docs/bench)`)
  const publish = flags.includes('--publish')
  if (publish && env.BENCH_OUT) throw new Error('--publish writes into docs/bench; BENCH_OUT names another folder: choose one')
  const argv = args.filter((arg) => !arg.startsWith('-'))
  const number = (name: string, fallback: number) => {
    if (env[name] === undefined || env[name] === '') return fallback
    const value = Number(env[name])
    if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got ${env[name]}`)
    return value
  }
  return {
    databaseUrl: env.BENCH_DATABASE_URL || 'mariadb://root@127.0.0.1:3306/lifeguard_bench',
    seed: FULL_SEED,
    scenarios: argv,
    rounds: number('BENCH_ROUNDS', 5),
    durationSec: number('BENCH_DURATION_S', 3),
    warmupSec: number('BENCH_WARMUP_S', 3),
    connections: number('BENCH_CONNECTIONS', 50),
    poolSize: number('BENCH_POOL_SIZE', 10),
    overloadConnections: number('BENCH_OVERLOAD_CONNECTIONS', 400),
    overloadAcquireTimeoutMs: number('BENCH_ACQUIRE_TIMEOUT_MS', 100),
    outDir: env.BENCH_OUT ? path.resolve(env.BENCH_OUT) : publish ? PUBLISHED_OUT : SCRATCH_OUT,
    profileDir: env.BENCH_PROFILE === '1' ? mkdtempSync(path.join(os.tmpdir(), 'lifeguard-cpu-prof-')) : undefined,
    publish
  }
}

async function main() {
  const { publish, ...options } = readOptions(process.env, process.argv.slice(2))
  const report = await runBench(options, (line) => process.stderr.write(line + '\n'))
  if (publish && report.source.dirty) {
    process.stderr.write(`published figures measured uncommitted changes: ${report.source.changes.join(', ')}\n`)
  }
  if (options.profileDir) {
    // The profiler slows the server: a profiled run's ratios mean nothing, so none are shown.
    for (const [scenario, summary] of Object.entries(report.profiles)) process.stdout.write(profileMarkdown(scenario, summary))
    process.stderr.write(`CPU profiles kept in ${options.profileDir}; summary in ${options.outDir}/profile.md\n`)
  } else {
    process.stdout.write(report.markdown)
    process.stderr.write(`results written to ${options.outDir}\n`)
  }
}

if (require.main === module) {
  // Exit through process.exit so server-process.ts can stop the servers it started.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130))
  main().catch((err) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`)
    process.exit(1)
  })
}
