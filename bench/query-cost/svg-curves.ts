import { sizeLabel, type KindSummary } from './report'

const WIDTH = 900
const HEIGHT = 480
const PLOT = { left: 70, right: 540, top: 50, bottom: 420 }
const COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf', '#393b79']

/**
 * Median ms against table size, one line per request kind, both axes log10: a flat line is a
 * request the table's size does not reach, a line of slope 1 one that reads in proportion to it.
 * Written as text like bench/report/svg-chart.ts, so it diffs and needs no plotting library.
 */
export function svgCurves(title: string, sizes: number[], summaries: KindSummary[]): string {
  const values = summaries.flatMap((s) => s.medians).filter((v) => Number.isFinite(v) && v > 0)
  const low = Math.floor(Math.log10(Math.min(...values, 1)))
  const high = Math.ceil(Math.log10(Math.max(...values, 10)))
  const sizeLow = Math.log10(sizes[0])
  const sizeSpan = Math.max(1e-9, Math.log10(sizes[sizes.length - 1]) - sizeLow)
  const x = (books: number) => PLOT.left + ((Math.log10(books) - sizeLow) / sizeSpan) * (PLOT.right - PLOT.left)
  const y = (ms: number) => PLOT.bottom - ((Math.log10(ms) - low) / (high - low)) * (PLOT.bottom - PLOT.top)
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="10" y="22" font-size="15" font-weight="bold">${escape(title)}</text>`,
    `<text x="${(PLOT.left + PLOT.right) / 2}" y="${HEIGHT - 20}" text-anchor="middle">books in the table (log)</text>`,
    `<text x="16" y="${(PLOT.top + PLOT.bottom) / 2}" transform="rotate(-90 16 ${(PLOT.top + PLOT.bottom) / 2})" text-anchor="middle">median ms, one request at a time (log)</text>`
  ]
  for (let power = low; power <= high; power++) {
    const ms = 10 ** power
    parts.push(
      `<line x1="${PLOT.left}" y1="${y(ms)}" x2="${PLOT.right}" y2="${y(ms)}" stroke="#ddd"/>`,
      `<text x="${PLOT.left - 6}" y="${y(ms) + 4}" text-anchor="end">${ms >= 1 ? ms : ms.toFixed(-power)}</text>`
    )
  }
  for (const books of sizes) {
    parts.push(
      `<line x1="${x(books)}" y1="${PLOT.top}" x2="${x(books)}" y2="${PLOT.bottom}" stroke="#eee"/>`,
      `<text x="${x(books)}" y="${PLOT.bottom + 16}" text-anchor="middle">${sizeLabel(books)}</text>`
    )
  }
  summaries.forEach((summary, i) => {
    const colour = COLOURS[i % COLOURS.length]
    const points = sizes
      .map((books, j) => [books, summary.medians[j]] as const)
      .filter(([, ms]) => Number.isFinite(ms) && ms > 0)
      .map(([books, ms]) => `${x(books).toFixed(1)},${y(ms).toFixed(1)}`)
    const dash = summary.goal === 'none' ? ' stroke-dasharray="5 3"' : ''
    parts.push(`<polyline points="${points.join(' ')}" fill="none" stroke="${colour}" stroke-width="2"${dash}/>`)
    for (const point of points) {
      const [px, py] = point.split(',')
      parts.push(`<circle cx="${px}" cy="${py}" r="3" fill="${colour}"/>`)
    }
    const mark = summary.verdict ? (summary.verdict.met ? ' ✓' : ' ✗') : ''
    const legendY = PLOT.top + i * 20
    parts.push(
      `<line x1="${PLOT.right + 20}" y1="${legendY}" x2="${PLOT.right + 40}" y2="${legendY}" stroke="${colour}" stroke-width="2"${dash}/>`,
      `<text x="${PLOT.right + 46}" y="${legendY + 4}">${escape(summary.name + mark)}</text>`
    )
  })
  parts.push(
    `<text x="${PLOT.right + 20}" y="${PLOT.top + summaries.length * 20 + 10}" fill="#555">dashed: no goal; ✓/✗: goal met or not</text>`,
    '</svg>'
  )
  return parts.join('\n') + '\n'
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}
