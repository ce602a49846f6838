import { execFileSync } from 'node:child_process'
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import mysql from 'mysql2/promise'
import { connectionOptions } from './baselines/database-access'
import { compileForBench } from './compile'
import { measureSlowQuerySeconds, prepareBenchDatabase, type SeedSize } from './bench-database'
import { measureScenario, type Progress, type RunSettings, type ServerRun } from './measure'
import { profileMarkdown, summariseCpuProfile, type ProfileSummary } from './profile/cpu-profile'
import { markdownReport } from './report/markdown'
import { ratioSections, svgChart } from './report/svg-chart'
import { allScenarios, LIFEGUARD, type Scenario, type ScenarioContext } from './scenarios'
import { REPO_ROOT } from './server-process'
import { summariseScenario, type ScenarioSummary } from './summary'

export interface BenchOptions extends RunSettings, Omit<ScenarioContext, 'seed' | 'slowQuerySeconds'> {
  seed: SeedSize
  /** Scenario names to run; empty runs every scenario that is not opt-in. */
  scenarios: string[]
  /** Where results.json, results.md and ratios.svg go; nothing is written when absent. */
  outDir?: string
  /** Profile mode: only Lifeguard runs, under --cpu-prof writing here. */
  profileDir?: string
}

/** The code a run measured: the commit checked out when the servers were built, and local changes. */
export interface BenchSource {
  /** `git rev-parse HEAD`, or `unknown` outside a git checkout. */
  commit: string
  /** Whether `git status --porcelain` listed anything (tracked changes or untracked files). */
  dirty: boolean
  /** Those paths, as `git status --porcelain` prints them (`M src/app.ts`, `?? new.ts`). */
  changes: string[]
}

export interface BenchReport {
  source: BenchSource
  machine: Record<string, string | number>
  settings: Omit<BenchOptions, 'outDir' | 'profileDir' | 'databaseUrl'> & { slowQuerySeconds: number }
  scenarios: ScenarioSummary[]
  runs: Record<string, ServerRun[]>
  profiles: Record<string, ProfileSummary>
  markdown: string
}

/** The whole bench: database, every chosen scenario in turn, summaries, files. */
export async function runBench(options: BenchOptions, progress: Progress = () => {}): Promise<BenchReport> {
  progress(`preparing ${new URL(options.databaseUrl).pathname.slice(1)} (${options.seed.books} books)`)
  await prepareBenchDatabase(options.databaseUrl, options.seed)
  const slowQuerySeconds = await measureSlowQuerySeconds(options.databaseUrl)
  const scenarios = chooseScenarios(allScenarios({ ...options, slowQuerySeconds }), options.scenarios)
  // Read just before the build: the servers run what the tree held at this moment.
  const source = describeSource(REPO_ROOT)
  const build = compileForBench(REPO_ROOT)
  const summaries: ScenarioSummary[] = []
  const runs: BenchReport['runs'] = {}
  const profiles: BenchReport['profiles'] = {}
  const profiling = options.profileDir !== undefined
  try {
    for (const declared of scenarios) {
      const setup = declared.setup && (await declared.setup(progress))
      const scenario = setup ? { ...declared, servers: setup.servers, ...(setup.perServer && { perServer: setup.perServer }) } : declared
      const measured = await measureScenario(
        profiling ? { ...scenario, servers: scenario.servers.filter((s) => s.name === LIFEGUARD) } : scenario,
        options,
        build.outDir,
        progress,
        (server) => (profiling && server === LIFEGUARD ? ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`] : [])
      ).finally(() => setup?.stop())
      summaries.push(summariseScenario(measured))
      runs[scenario.name] = measured.runs
      if (profiling) {
        const file = profileOf(options.profileDir!, measured.pids[LIFEGUARD])
        profiles[scenario.name] = summariseCpuProfile(file, measured.window, REPO_ROOT)
      }
    }
  } finally {
    build.remove()
  }
  const { outDir, profileDir, databaseUrl, ...settings } = options
  const report: BenchReport = {
    source,
    machine: await describeMachine(databaseUrl),
    settings: { ...settings, slowQuerySeconds },
    scenarios: summaries,
    runs,
    profiles,
    markdown: markdownReport(summaries)
  }
  if (outDir) writeReport(outDir, report, profileDir !== undefined)
  return report
}

function chooseScenarios(all: Scenario[], names: string[]): Scenario[] {
  if (names.length === 0) return all.filter((scenario) => !scenario.optIn)
  const unknown = names.filter((name) => !all.some((scenario) => scenario.name === name))
  if (unknown.length) throw new Error(`unknown scenario ${unknown.join(', ')}; known: ${all.map((s) => s.name).join(', ')}`)
  return all.filter((scenario) => names.includes(scenario.name))
}

/** Node names profiles CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile. */
function profileOf(dir: string, pid: number): string {
  const file = readdirSync(dir).find((name) => name.includes(`.${pid}.`) && name.endsWith('.cpuprofile'))
  if (!file) throw new Error(`no CPU profile for process ${pid} in ${dir}`)
  return path.join(dir, file)
}

export function describeSource(repoRoot: string): BenchSource {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
  try {
    const commit = git('rev-parse', 'HEAD').trim()
    const changes = git('status', '--porcelain')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => `${line.slice(0, 2).trim()} ${line.slice(3)}`)
    return { commit, dirty: changes.length > 0, changes }
  } catch {
    return { commit: 'unknown', dirty: true, changes: ['(not a git checkout: the code measured is not known)'] }
  }
}

/** First line of results.md and profile.md: what was measured, where, how. */
export function describeRun(report: Pick<BenchReport, 'source' | 'machine' | 'settings'>): string {
  const { source, machine, settings } = report
  const changes = source.dirty ? `plus uncommitted changes: ${source.changes.join(', ')}` : 'clean tree'
  return (
    `Measured on commit ${source.commit} (${changes}) at ${machine.date}: ${machine.cpus} CPUs (${machine.cpuModel}), ` +
    `Node ${machine.node}, ${machine.database}; ${settings.rounds} rounds × ${settings.durationSec} s per server ` +
    `after a ${settings.warmupSec} s warm-up, ${settings.connections} connections, pool ${settings.poolSize}.`
  )
}

async function describeMachine(databaseUrl: string): Promise<BenchReport['machine']> {
  const connection = await mysql.createConnection(connectionOptions(databaseUrl))
  try {
    const [[{ version }]] = await connection.query<any[]>('SELECT VERSION() AS version')
    return {
      date: new Date().toISOString(),
      cpus: os.availableParallelism(),
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
      database: version,
      platform: `${os.type()} ${os.release()}`
    }
  } finally {
    await connection.end()
  }
}

/** Profiled runs are slowed by the profiler: they get their own files and never replace results. */
function writeReport(outDir: string, report: BenchReport, profiled: boolean): void {
  mkdirSync(outDir, { recursive: true })
  const header = describeRun(report) + '\n\n'
  if (profiled) {
    const markdown = Object.entries(report.profiles).map(([name, summary]) => profileMarkdown(name, summary))
    writeFileSync(path.join(outDir, 'profile.md'), header + markdown.join('\n'))
    const { source, machine, settings, profiles } = report
    writeFileSync(path.join(outDir, 'profile.json'), JSON.stringify({ source, machine, settings, profiles }, null, 2) + '\n')
    return
  }
  const { markdown, ...data } = report
  writeFileSync(path.join(outDir, 'results.json'), JSON.stringify(data, null, 2) + '\n')
  writeFileSync(path.join(outDir, 'results.md'), header + markdown)
  const commit = `${report.source.commit.slice(0, 7)}${report.source.dirty ? ' + local changes' : ''}`
  const title = `Lifeguard vs baselines, ${report.machine.cpus} cores, medians of ${report.settings.rounds} rounds, ${commit}`
  writeFileSync(path.join(outDir, 'ratios.svg'), svgChart(title, ratioSections(report.scenarios)))
}
