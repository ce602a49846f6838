import { existsSync, readFileSync } from 'node:fs'
import { SourceMap } from 'node:module'
import type { LoadWindow } from '../measure'
import { round } from '../load'

interface CallFrame {
  functionName: string
  url: string
  /** Zero-based, of the function's start in the script. */
  lineNumber: number
  columnNumber?: number
}

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: CallFrame }>
  startTime: number
  endTime: number
  samples: number[]
  timeDeltas: number[]
}

export interface FunctionCost {
  name: string
  location: string
  owner: string
  selfMs: number
  share: number
}

export interface ProfileSummary {
  sampledMs: number
  byOwner: Array<{ owner: string; selfMs: number; share: number }>
  top: FunctionCost[]
}

const OUR_CODE = 'lifeguard (src/, entities/)'

/** Which dependency a frame belongs to, by the path of its script. First match wins. */
const OWNERS: Array<[string, RegExp]> = [
  ['fastify', /node_modules\/(fastify|@fastify|find-my-way|fast-json-stringify|avvio|light-my-request|fast-querystring|ajv|fast-uri|json-schema-ref-resolver|safe-regex2|toad-cache|rfdc)\//],
  ['pino (logging)', /node_modules\/(pino|pino-std-serializers|sonic-boom|thread-stream|fast-redact)\//],
  ['typeorm', /node_modules\/typeorm\//],
  ['mysql2', /node_modules\/(mysql2|sqlstring|lru-cache|iconv-lite|denque|named-placeholders|long|generate-function|lru\.min)\//],
  ['other dependencies', /node_modules\//],
  ['node core', /^node:|^internal\//]
]

function ownerOf(frame: CallFrame, repoRoot: string): string {
  // Frames without a script are V8 builtins and native bindings (socket writes show up here).
  if (!frame.url) return frame.functionName.startsWith('(') ? frame.functionName : 'native / V8 builtins'
  const source = shortPath(frame.url, repoRoot)
  if (source.startsWith('src/') || source.startsWith('entities/')) return OUR_CODE
  if (source.startsWith('bench/')) return 'bench server'
  return OWNERS.find(([, pattern]) => pattern.test(frame.url))?.[0] ?? 'other'
}

/**
 * Self time per function from a V8 `.cpuprofile`, counted only inside the measured load
 * window (start-up compilation and shutdown would drown the request path otherwise).
 * The window is placed by its distance from the profile's end, which is the process exit.
 */
export function summariseCpuProfile(file: string, window: LoadWindow, repoRoot: string, topCount = 25): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile
  const windowStart = profile.endTime - (window.stoppedAt - window.startedAt) * 1000
  const windowEnd = profile.endTime - (window.stoppedAt - window.endedAt) * 1000
  const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]))
  const selfMicros = new Map<string, { frame: CallFrame; micros: number }>()
  let timestamp = profile.startTime
  let total = 0
  profile.samples.forEach((nodeId, i) => {
    timestamp += profile.timeDeltas[i]
    const delta = profile.timeDeltas[i + 1] ?? 0
    if (timestamp < windowStart || timestamp > windowEnd) return
    const frame = frames.get(nodeId)!
    if (frame.functionName === '(idle)') return
    const key = `${frame.functionName}|${frame.url}|${frame.lineNumber}`
    const entry = selfMicros.get(key) ?? { frame, micros: 0 }
    entry.micros += delta
    selfMicros.set(key, entry)
    total += delta
  })
  const byOwner = new Map<string, number>()
  const maps = new Map<string, SourceMap | undefined>()
  const costs: FunctionCost[] = []
  for (const { frame, micros } of selfMicros.values()) {
    const owner = ownerOf(frame, repoRoot)
    byOwner.set(owner, (byOwner.get(owner) ?? 0) + micros)
    costs.push({
      name: frame.functionName || '(anonymous)',
      location: frame.url ? locationOf(frame, repoRoot, maps) : '',
      owner,
      selfMs: round(micros / 1000, 1),
      share: round(micros / total, 4)
    })
  }
  return {
    sampledMs: round(total / 1000, 1),
    byOwner: [...byOwner.entries()]
      .map(([owner, micros]) => ({ owner, selfMs: round(micros / 1000, 1), share: round(micros / total, 4) }))
      .sort((a, b) => b.selfMs - a.selfMs),
    top: costs.sort((a, b) => b.selfMs - a.selfMs).slice(0, topCount)
  }
}

/**
 * `typeorm/...:line` for a dependency; for our code the TypeScript file and line it was
 * compiled from, read from the source map compile.ts leaves beside each file, so the
 * location names a file in the repository. Without a map: the compiled file's path and line.
 */
function locationOf(frame: CallFrame, repoRoot: string, maps: Map<string, SourceMap | undefined>): string {
  const short = shortPath(frame.url, repoRoot)
  const script = frame.url.replace(/^file:\/\//, '')
  if (!maps.has(script)) {
    const mapFile = script + '.map'
    maps.set(script, existsSync(mapFile) ? new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8'))) : undefined)
  }
  const entry = maps.get(script)?.findEntry(frame.lineNumber, frame.columnNumber ?? 0)
  if (entry && 'originalLine' in entry && /\.js$/.test(short)) return `${short.replace(/\.js$/, '.ts')}:${entry.originalLine + 1}`
  return `${short}:${frame.lineNumber + 1}`
}

/** `src/app.js` for our compiled code (see compile.ts), `typeorm/...` for a dependency. */
function shortPath(url: string, repoRoot: string): string {
  return url
    .replace(/^file:\/\//, '')
    .replace(/^.*node_modules\//, '')
    .replace(repoRoot + '/', '')
    .replace(/^bench\/\.tmp\/build-\d+\//, '')
}

export function profileMarkdown(scenario: string, summary: ProfileSummary): string {
  const lines = [
    `### ${scenario} (${summary.sampledMs} ms of CPU samples under load, idle excluded)`,
    '',
    '| owner | self ms | share |',
    '|---|---:|---:|',
    ...summary.byOwner.map((o) => `| ${o.owner} | ${o.selfMs} | ${(o.share * 100).toFixed(1)}% |`),
    '',
    '| function | where | owner | self ms | share |',
    '|---|---|---|---:|---:|',
    ...summary.top.map(
      (f) => `| ${f.name} | ${f.location} | ${f.owner} | ${f.selfMs} | ${(f.share * 100).toFixed(1)}% |`
    )
  ]
  return lines.join('\n') + '\n'
}
