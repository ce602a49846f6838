import t from 'tap'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { parse } from 'yaml'
import { buildTestApp } from '../helper'

/**
 * docs/ops/grafana-dashboard.json and docs/ops/alerts.yml only read metrics the app really
 * exports: every metric name in every panel query and alert expression is checked against a
 * scrape of a real app's /metrics, and both files have the shape Grafana and Prometheus need.
 */

const OPS = path.join(__dirname, '..', '..', 'docs', 'ops')
const dashboard = JSON.parse(readFileSync(path.join(OPS, 'grafana-dashboard.json'), 'utf8'))
const alertsText = readFileSync(path.join(OPS, 'alerts.yml'), 'utf8')
const readme = readFileSync(path.join(OPS, 'README.md'), 'utf8')

/**
 * Series Prometheus makes itself, not the app: `up` (one per scrape target) and the blackbox
 * exporter's `probe_success` (its probe of GET /health/ready, readiness seen from outside; the
 * app's own record of its checks is lifeguard_ready). docs/ops/README.md shows the scrape
 * config that gives them.
 */
const FROM_PROMETHEUS = new Set(['up', 'probe_success'])

const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset'])

/** The metric names a PromQL expression reads (functions, labels, keywords and durations left out). */
export function metricNamesIn(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // strings: label values, regexes
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\[[^\]]*\]/g, ' ') // range selectors, subqueries
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ') // grouping label lists
  const names = new Set<string>()
  for (const match of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const after = stripped.slice(match.index! + match[0].length).trimStart()
    if (after.startsWith('(')) continue // a function
    const before = stripped[match.index! - 1]
    if (before !== undefined && /[0-9.]/.test(before)) continue // an exponent or unit in a number
    if (KEYWORDS.has(match[0])) continue
    names.add(match[0])
  }
  return [...names]
}

/** Metric families in Prometheus text: name -> type, from the `# TYPE` lines. */
function familiesOf(scrape: string): Map<string, string> {
  const families = new Map<string, string>()
  for (const match of scrape.matchAll(/^# TYPE (\S+) (\S+)$/gm)) families.set(match[1], match[2])
  return families
}

/**
 * Whether Prometheus would hold a series of this name from this scrape: a counter or gauge by
 * its own name, a histogram only as `_bucket`, `_sum` or `_count` (the bare name holds nothing),
 * a summary as itself (quantiles), `_sum` or `_count`.
 */
function isExported(name: string, families: Map<string, string>): boolean {
  const type = families.get(name)
  if (type !== undefined && type !== 'histogram') return true
  const suffix = /^(.+)_(bucket|sum|count)$/.exec(name)
  if (!suffix) return false
  const base = families.get(suffix[1])
  return base === 'histogram' || (base === 'summary' && suffix[2] !== 'bucket')
}

interface Query {
  where: string
  expr: string
}

const panels: any[] = dashboard.panels.filter((p: any) => p.type !== 'row')
const panelQueries: Query[] = panels.flatMap((p) =>
  p.targets.map((target: any) => ({ where: `panel "${p.title}" ${target.refId}`, expr: target.expr as string }))
)
const alertsDoc = parse(alertsText)
const rules: any[] = (alertsDoc?.groups ?? []).flatMap((g: any) => g.rules ?? [])
const alertQueries: Query[] = rules.map((r) => ({ where: `alert ${r.alert}`, expr: String(r.expr) }))

t.test('the PromQL name extractor finds metric names and nothing else', async (t) => {
  t.same(
    metricNamesIn(
      'histogram_quantile(0.99, sum by (instance, le) (rate(http_request_duration_seconds_bucket{route!="/metrics", x=~"a|b"}[5m]))) > 1e3'
    ),
    ['http_request_duration_seconds_bucket']
  )
  t.same(metricNamesIn('sum by (instance) (increase(a_total[5m])) > max by (instance) (b_max) and on (instance) up == 0'), [
    'a_total',
    'b_max',
    'up'
  ])
  t.same(metricNamesIn('db_pool_connections_active{instance=~"$instance"} / db_pool_connections_max'), [
    'db_pool_connections_active',
    'db_pool_connections_max'
  ])
  const families = new Map([
    ['h_seconds', 'histogram'],
    ['c_total', 'counter']
  ])
  t.ok(isExported('h_seconds_bucket', families))
  t.ok(isExported('h_seconds_count', families))
  t.notOk(isExported('h_seconds', families), 'a histogram has no series of its bare name')
  t.ok(isExported('c_total', families))
  t.notOk(isExported('c_total_bucket', families))
  t.notOk(isExported('c', families))
})

t.test('every metric the dashboard and the alerts read is in a real /metrics scrape', async (t) => {
  const app = await buildTestApp(t)
  // Some traffic first, so the labelled series exist too (not only their # TYPE lines).
  for (const url of ['/books', '/authors?limit=5', '/books/999999', '/health/ready', '/no-such-route']) {
    await app.inject(url)
  }
  const scrape = (await app.inject('/metrics')).body
  const families = familiesOf(scrape)
  t.ok(families.has('db_pool_connections_total'), 'the scrape is the app\'s metrics')

  const queries = [...panelQueries, ...alertQueries]
  t.ok(panelQueries.length >= 15 && alertQueries.length >= 5, 'both files have their queries')
  for (const { where, expr } of queries) {
    const names = metricNamesIn(expr)
    t.ok(names.length > 0, `${where} reads some metric: ${expr}`)
    for (const name of names) {
      if (FROM_PROMETHEUS.has(name)) continue
      t.ok(isExported(name, families), `${where}: ${name} is exported by /metrics`)
    }
  }
})

t.test('the dashboard is an importable Grafana dashboard', async (t) => {
  t.equal(typeof dashboard.title, 'string')
  t.ok(dashboard.schemaVersion >= 36 && dashboard.schemaVersion <= 41, `schemaVersion ${dashboard.schemaVersion}`)
  t.match(dashboard.__inputs, [{ name: 'DS_PROMETHEUS', type: 'datasource', pluginId: 'prometheus' }])
  const titles = panels.map((p) => p.title)
  t.same(titles, [...new Set(titles)], 'panel titles are unique')
  const ids = dashboard.panels.map((p: any) => p.id)
  t.same(ids, [...new Set(ids)], 'panel ids are unique')
  for (const p of panels) {
    t.match(p, { type: 'timeseries', datasource: { type: 'prometheus', uid: '${DS_PROMETHEUS}' } }, `${p.title}: data source`)
    t.ok(p.gridPos.x + p.gridPos.w <= 24, `${p.title}: fits the 24-column grid`)
    t.ok(p.targets.length > 0, `${p.title}: has queries`)
    for (const target of p.targets) t.match(target, { refId: String, expr: String, legendFormat: String })
  }
  // What the issue asks the dashboard to show.
  const all = panelQueries.map((q) => q.expr).join('\n')
  for (const name of [
    'db_pool_connections_pending',
    'db_pool_connections_max',
    'db_pool_saturated',
    'db_pool_acquire_seconds_bucket',
    'db_pool_timeouts_total',
    'db_pool_connections_created_total',
    'db_pool_connections_destroyed_total',
    'http_request_duration_seconds_bucket',
    'http_requests_aborted_total',
    'process_cpu_seconds_total',
    'process_resident_memory_bytes',
    'nodejs_eventloop_lag_p99_seconds',
    'probe_success'
  ]) {
    t.ok(all.includes(name), `a panel shows ${name}`)
  }
})

t.test('alerts.yml is a Prometheus rule file whose every rule has what an alert needs', async (t) => {
  t.ok(Array.isArray(alertsDoc?.groups) && alertsDoc.groups.length > 0, 'groups')
  for (const group of alertsDoc.groups) {
    t.equal(typeof group.name, 'string', 'group name')
    t.ok(Array.isArray(group.rules) && group.rules.length > 0, `${group.name}: rules`)
  }
  const names = rules.map((r) => r.alert)
  t.same(names, [...new Set(names)], 'alert names are unique')
  for (const rule of rules) {
    t.match(rule, { alert: /^[A-Z][A-Za-z0-9]+$/, expr: String, for: /^\d+[smh]$/ }, `${rule.alert}: alert, expr, for`)
    t.match(rule.labels?.severity, /^(critical|warning|info)$/, `${rule.alert}: labels.severity`)
    t.ok(rule.annotations?.summary && rule.annotations?.description, `${rule.alert}: annotations.summary and description`)
    t.ok(readme.includes(rule.alert), `${rule.alert}: docs/ops/README.md has its runbook`)
  }
  // The five conditions, each covered by some alert.
  const exprs = alertQueries.map((q) => q.expr).join('\n')
  for (const needed of ['db_pool_saturated', 'db_pool_timeouts_total', 'http_request_duration_seconds_bucket', 'db_pool_connections_destroyed_total', 'probe_success']) {
    t.ok(exprs.includes(needed), `an alert reads ${needed}`)
  }
  const saturated = rules.find((r) => String(r.expr).includes('db_pool_saturated'))
  t.equal(saturated?.for, '1m', 'saturation alerts after 1 minute')
  // Readiness from the app's own gauge, which names the reason (issue 8, item 3).
  const readiness = rules.find((r) => r.alert === 'LifeguardReadinessFailing')
  t.ok(readiness, 'LifeguardReadinessFailing is a rule')
  t.same(metricNamesIn(String(readiness?.expr)), ['lifeguard_ready'], 'it reads lifeguard_ready')
  t.match(String(readiness?.expr), /by \([^)]*\breason\b[^)]*\)/, 'it keeps the reason label for the notification')
  t.match(readiness, { for: '1m', labels: { severity: 'critical' } })
})
