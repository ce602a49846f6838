import t from 'tap'
import { accessOf } from '../../bench/query-cost/measure'
import type { SizeRun } from '../../bench/query-cost/measure'
import { markdownTable, percentile, sizeLabel, summarise, verdictOf } from '../../bench/query-cost/report'
import { REQUEST_KINDS } from '../../bench/query-cost/requests'
import { svgCurves } from '../../bench/query-cost/svg-curves'

// The query-cost bench's arithmetic on made-up samples, where every right answer is known.

/** Every kind at `books` rows takes `ms(kind)` milliseconds, three times. */
function run(books: number, ms: (kind: string) => number): SizeRun {
  return { books, kinds: REQUEST_KINDS.map((kind) => ({ name: kind.name, samples: [ms(kind.name), ms(kind.name), ms(kind.name)] })) }
}

t.test('percentile is nearest-rank and skips NaN', async (t) => {
  t.equal(percentile([5, 1, 4, 2, 3], 0.9), 5)
  t.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9), 9)
  t.equal(percentile([NaN, 2], 0.5), 2)
  t.ok(Number.isNaN(percentile([], 0.9)))
})

t.test('goals: flat within 2× at the largest size, estimated counts within 5 ms at every size', async (t) => {
  t.same(verdictOf({ goal: 'flat', medians: [2, 9, 4], ratios: [1, 4.5, 2] }), { met: true, text: '2× of the smallest (≤ 2×)' })
  t.equal(verdictOf({ goal: 'flat', medians: [2, 2, 4.2], ratios: [1, 1, 2.1] })!.met, false)
  // The count's cost is judged, not the whole request: a page alone can take longer than 5 ms.
  t.equal(verdictOf({ goal: 'fast', medians: [9, 9, 9], ratios: [1, 1, 1], countCosts: [5, 1, 1] })!.met, true)
  t.equal(verdictOf({ goal: 'fast', medians: [1, 6, 1], ratios: [1, 6, 1], countCosts: [1, 5.01, 1] })!.met, false)
  t.equal(verdictOf({ goal: 'fast', medians: [1], ratios: [1] })!.met, false, 'no cost measured is no pass')
  t.equal(verdictOf({ goal: 'none', medians: [1, 100], ratios: [1, 100] }), undefined)
})

t.test('summarise takes medians per size and ratios to the smallest; the table and chart show them', async (t) => {
  const sizes = [10_000, 1_000_000]
  const slowAtScale = (books: number) => (kind: string) => (kind === 'offset page at 90 %' ? books / 1000 : kind === 'first page' ? 2 : 3)
  const summaries = summarise(sizes.map((books) => run(books, slowAtScale(books))))
  const offset = summaries.find((s) => s.name === 'offset page at 90 %')!
  t.same(offset.medians, [10, 1000])
  t.same(offset.ratios, [1, 100])
  t.equal(offset.verdict, undefined)
  const first = summaries.find((s) => s.name === 'first page')!
  t.same(first.verdict, { met: true, text: '1× of the smallest (≤ 2×)' })
  const table = markdownTable(sizes, summaries)
  t.match(table, /\| request \| 10k ms \(p90\) \| 1M ms \(p90\) \| 1M ÷ 10k \| count adds, ms \| goal \|/)
  t.match(table, /\| offset page at 90 % \| 10 \(10\) \| 1000 \(1000\) \| 100 \|  \| — \|/)
  t.match(table, /\| first page \| 2 \(2\) \| 2 \(2\) \| 1 \|  \| PASS: /)
  // Counts take 3 ms against the first page's 2: each adds 1 ms, round by round.
  t.same(summaries.find((s) => s.name === 'totalCount=estimated')!.countCosts, [1, 1])
  t.match(table, /\| totalCount=estimated \| 3 \(3\) \| 3 \(3\) \| 1 \| 1 \/ 1 \| PASS: /)
  const svg = svgCurves('demo', sizes, summaries)
  t.match(svg, /^<svg /)
  t.equal((svg.match(/<polyline /g) ?? []).length, REQUEST_KINDS.length)
  t.notMatch(svg, /NaN/)
})

t.test('sizeLabel and accessOf', async (t) => {
  t.same([sizeLabel(10_000), sizeLabel(100_000), sizeLabel(1_000_000), sizeLabel(12)], ['10k', '100k', '1M', '12'])
  const plan = { query_block: { select_id: 1, nested_loop: [{ table: { table_name: 'books', access_type: 'range', key: 'IDX_books_price' } }] } }
  t.equal(accessOf(plan), 'range IDX_books_price')
  t.equal(accessOf({ query_block: { table: { access_type: 'ALL' } } }), 'ALL')
  t.equal(accessOf(null), '')
})
