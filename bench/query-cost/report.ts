import { median } from '../summary'
import { REQUEST_KINDS, type Goal } from './requests'
import type { SizeRun } from './measure'

/** The goals of issue 14, at the largest size against the smallest. */
export const FLAT_WITHIN = 2
export const ESTIMATED_WITHIN_MS = 5

export interface KindSummary {
  name: string
  goal: Goal
  /** Per size, in the order of the runs: median and p90 of the samples, ms. */
  medians: number[]
  p90s: number[]
  /** Median at each size ÷ median at the smallest. */
  ratios: number[]
  /** For a count: median per size of what it added to the same request without it, ms. */
  countCosts?: number[]
  verdict?: { met: boolean; text: string }
}

/** Nearest-rank percentile (p in 0..1); NaN for no samples. */
export function percentile(values: number[], p: number): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b)
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]
}

export function summarise(runs: SizeRun[]): KindSummary[] {
  return REQUEST_KINDS.map((kind) => {
    const samples = runs.map((run) => run.kinds.find((k) => k.name === kind.name)?.samples ?? [])
    const medians = samples.map((s) => round(median(s)))
    const summary: KindSummary = {
      name: kind.name,
      goal: kind.goal,
      medians,
      p90s: samples.map((s) => round(percentile(s, 0.9))),
      ratios: medians.map((m) => round(m / medians[0]))
    }
    if (kind.countOver !== undefined) {
      summary.countCosts = runs.map((run, i) => {
        const without = run.kinds.find((k) => k.name === kind.countOver)?.samples ?? []
        return round(median(samples[i].map((ms, round) => ms - (without[round] ?? NaN))))
      })
    }
    return { ...summary, verdict: verdictOf(summary) }
  })
}

/**
 * flat: the largest size's median within FLAT_WITHIN × the smallest's; fast: at every size the
 * count adds ≤ 5 ms to its page (the whole request's slowest median is quoted beside it).
 */
export function verdictOf(summary: Pick<KindSummary, 'goal' | 'medians' | 'ratios' | 'countCosts'>): KindSummary['verdict'] {
  if (summary.goal === 'flat') {
    const ratio = summary.ratios[summary.ratios.length - 1]
    return { met: ratio <= FLAT_WITHIN, text: `${ratio}× of the smallest (≤ ${FLAT_WITHIN}×)` }
  }
  if (summary.goal === 'fast') {
    const cost = Math.max(...(summary.countCosts ?? [NaN]))
    const met = cost <= ESTIMATED_WITHIN_MS
    return { met, text: `the count adds ${cost} ms at worst (≤ ${ESTIMATED_WITHIN_MS} ms); whole request ${Math.max(...summary.medians)} ms at worst` }
  }
  return undefined
}

export function sizeLabel(books: number): string {
  return books >= 1e6 ? `${books / 1e6}M` : books >= 1e3 ? `${books / 1e3}k` : String(books)
}

/** Median ms (p90) per size, the ratio to the smallest, and the goal's verdict. */
export function markdownTable(sizes: number[], summaries: KindSummary[]): string {
  const labels = sizes.map(sizeLabel)
  const lines = [
    `| request | ${labels.map((l) => `${l} ms (p90)`).join(' | ')} | ${labels.slice(1).map((l) => `${l} ÷ ${labels[0]}`).join(' | ')} | count adds, ms | goal |`,
    `|---|${labels.map(() => '---:').join('|')}|${labels.slice(1).map(() => '---:').join('|')}|---:|---|`
  ]
  for (const s of summaries) {
    const cells = s.medians.map((m, i) => `${m} (${s.p90s[i]})`)
    const goal = s.verdict ? `${s.verdict.met ? 'PASS' : '**FAIL**'}: ${s.verdict.text}` : '—'
    const costs = s.countCosts ? s.countCosts.join(' / ') : ''
    lines.push(`| ${s.name} | ${cells.join(' | ')} | ${s.ratios.slice(1).join(' | ')} | ${costs} | ${goal} |`)
  }
  return lines.join('\n') + '\n'
}

function round(value: number): number {
  return Number.isFinite(value) ? Math.round(value * 100) / 100 : NaN
}
