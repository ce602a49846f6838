import t from 'tap'
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { CHROMIUM_PATH, OPS_DIR, openPreview } from '../../bench/render-ops-preview'

/**
 * docs/ops/dashboard-preview.html (the page docs/ops/dashboard.png is a screenshot of) draws
 * every panel of docs/ops/grafana-dashboard.json, under the same title, with at least one
 * line from docs/ops/recorded-metrics.json, in headless Chromium and without a console error.
 */

const dashboard = JSON.parse(readFileSync(path.join(OPS_DIR, 'grafana-dashboard.json'), 'utf8'))
const titles: string[] = dashboard.panels.filter((p: any) => p.type !== 'row').map((p: any) => p.title)

t.test('the preview draws every dashboard panel from the recorded series', async (t) => {
  t.ok(existsSync(CHROMIUM_PATH), `Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH)`)
  const preview = await openPreview()
  t.teardown(() => preview.close())
  t.equal(await preview.page.getAttribute('body', 'data-rendered'), 'true', 'the page finished drawing')

  const drawn: Array<{ title: string; paths: number }> = await preview.page.$$eval('.panel', (divs) =>
    // In the page: DOM elements (this project's tsconfig has no DOM types).
    divs.map((div: any) => ({
      title: String(div.dataset.title ?? ''),
      paths: [...div.querySelectorAll('path.series')].filter((p: any) => /^M[^M]*L/.test(p.getAttribute('d') ?? '')).length
    }))
  )
  t.same(
    drawn.map((d) => d.title),
    titles,
    'one panel per dashboard panel, same titles, same order'
  )
  for (const title of titles) {
    const panel = drawn.find((d) => d.title === title)
    t.ok(panel && panel.paths > 0, `"${title}" draws at least one series`)
  }
  const headings = await preview.page.$$eval('.panel h2', (hs) => hs.map((h: any) => String(h.textContent)))
  t.same(headings, titles, 'the titles are drawn')
  t.same(preview.errors, [], 'no console errors')
})
