import type { ScenarioSummary } from '../summary'
import { PER_REQUEST, SINGLE } from '../scenarios'

export interface Bar {
  label: string
  value: number
  /** Drawn as a tick on the bar; the bar is green when value reaches it. */
  target?: number
}

export interface ChartSection {
  title: string
  bars: Bar[]
}

const WIDTH = 800
const ROW_HEIGHT = 26
const SECTION_GAP = 44
const LABEL_WIDTH = 320
const PLOT_WIDTH = WIDTH - LABEL_WIDTH - 70

/**
 * The ratios the targets speak of, in two sections with their own scale: Lifeguard against
 * its ceiling (the pool baseline, the physical bound, or itself without a feature), where 1.0 is the goal, and
 * Lifeguard against the anti-patterns, where it should be many times faster.
 */
export function ratioSections(summaries: ScenarioSummary[]): ChartSection[] {
  const ceiling: Bar[] = []
  const antiPatterns: Bar[] = []
  for (const summary of summaries) {
    for (const target of summary.targets) {
      if (target.kind !== 'ratio' && target.kind !== 'bound') continue
      const against = target.kind === 'bound' ? 'pool size / query time' : target.of!
      const bar = { label: `${summary.name} ÷ ${against}`, value: target.value, target: target.atLeast }
      if (target.kind === 'ratio' && (target.of === SINGLE || target.of === PER_REQUEST)) antiPatterns.push(bar)
      else ceiling.push(bar)
    }
  }
  return [
    { title: 'Lifeguard req/s ÷ its ceiling (black tick: target)', bars: ceiling },
    { title: 'Lifeguard req/s ÷ an anti-pattern server', bars: antiPatterns }
  ].filter((section) => section.bars.length > 0)
}

export function svgChart(title: string, sections: ChartSection[]): string {
  const height = 40 + sections.reduce((sum, section) => sum + SECTION_GAP + section.bars.length * ROW_HEIGHT, 0)
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" ` +
      `font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="10" y="22" font-size="15" font-weight="bold">${escape(title)}</text>`
  ]
  let top = 40
  for (const section of sections) {
    parts.push(...drawSection(section, top))
    top += SECTION_GAP + section.bars.length * ROW_HEIGHT
  }
  parts.push('</svg>')
  return parts.join('\n') + '\n'
}

function drawSection(section: ChartSection, top: number): string[] {
  const finite = (value: number) => (Number.isFinite(value) ? value : 0)
  const scaleMax = Math.max(1, ...section.bars.map((bar) => Math.max(finite(bar.value), bar.target ?? 0))) * 1.1
  const x = (value: number) => LABEL_WIDTH + (Math.max(0, finite(value)) / scaleMax) * PLOT_WIDTH
  const plotTop = top + 24
  const plotBottom = plotTop + section.bars.length * ROW_HEIGHT
  const parts = [
    `<text x="10" y="${top + 12}" font-weight="bold">${escape(section.title)}</text>`,
    `<line x1="${x(1)}" y1="${plotTop}" x2="${x(1)}" y2="${plotBottom}" stroke="#999" stroke-dasharray="4 3"/>`,
    `<text x="${x(1)}" y="${plotBottom + 12}" text-anchor="middle" fill="#555">1.0</text>`
  ]
  section.bars.forEach((bar, i) => {
    const y = plotTop + i * ROW_HEIGHT
    const met = bar.target === undefined || bar.value >= bar.target
    parts.push(
      `<text x="${LABEL_WIDTH - 8}" y="${y + 15}" text-anchor="end">${escape(bar.label)}</text>`,
      `<rect x="${LABEL_WIDTH}" y="${y + 3}" width="${x(bar.value) - LABEL_WIDTH}" height="${ROW_HEIGHT - 8}" ` +
        `fill="${met ? '#3a9d5d' : '#d9822b'}"/>`,
      `<text x="${x(bar.value) + 5}" y="${y + 15}">${Number.isFinite(bar.value) ? bar.value.toFixed(2) : 'n/a'}</text>`
    )
    if (bar.target !== undefined) {
      const tick = x(bar.target)
      parts.push(`<line x1="${tick}" y1="${y}" x2="${tick}" y2="${y + ROW_HEIGHT - 2}" stroke="#000" stroke-width="2"/>`)
    }
  })
  return parts
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}
