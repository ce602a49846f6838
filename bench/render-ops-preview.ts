import { createServer, type Server } from 'node:http'
import { readFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'

/**
 * Renders docs/ops/dashboard-preview.html (the dashboard's panels drawn from
 * docs/ops/recorded-metrics.json) in headless Chromium and saves docs/ops/dashboard.png:
 *
 *   npx ts-node -T bench/render-ops-preview.ts
 *
 * Needs Chromium (Debian: `apt-get install chromium`, or CHROMIUM_PATH) and playwright-core.
 * test/docs/dashboard-preview.test.ts opens the page the same way.
 */

export const OPS_DIR = path.join(__dirname, '..', 'docs', 'ops')
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.json': 'application/json' }

/** Serves docs/ops/*.html and *.json (the page fetches its JSON: file:// cannot). */
export async function serveOpsDir(): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer(async (request, response) => {
    const name = path.basename(new URL(request.url ?? '/', 'http://x').pathname)
    const type = TYPES[path.extname(name)]
    const body = type ? await readFile(path.join(OPS_DIR, name)).catch(() => undefined) : undefined
    if (!body) return void response.writeHead(404).end()
    response.writeHead(200, { 'content-type': type }).end(body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/dashboard-preview.html`,
    close: () => new Promise((resolve) => server.close(() => resolve()))
  }
}

export interface OpenPreview {
  browser: Browser
  page: Page
  /** Console errors and uncaught page errors, as text. */
  errors: string[]
  close(): Promise<void>
}

/** Opens the preview in headless Chromium and waits until it has drawn (or failed). */
export async function openPreview(): Promise<OpenPreview> {
  const site = await serveOpsDir()
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: ['--no-sandbox'] })
  const page = await browser.newPage({ viewport: { width: 1416, height: 900 } })
  const errors: string[] = []
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text())
  })
  page.on('pageerror', (err) => errors.push(String(err)))
  await page.goto(site.url)
  await page.waitForSelector('body[data-rendered]', { timeout: 15_000 })
  return {
    browser,
    page,
    errors,
    close: async () => {
      await browser.close()
      await site.close()
    }
  }
}

async function main() {
  const preview = await openPreview()
  try {
    if (preview.errors.length > 0) throw new Error(`the page logged errors:\n${preview.errors.join('\n')}`)
    const out = path.join(OPS_DIR, 'dashboard.png')
    await preview.page.screenshot({ path: out, fullPage: true })
    process.stderr.write(`wrote ${path.relative(process.cwd(), out)}\n`)
  } finally {
    await preview.close()
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err)
    process.exitCode = 1
  })
}
