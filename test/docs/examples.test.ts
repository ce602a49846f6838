import t, { type Test } from 'tap'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { loadConfig } from '../../src/config'
import { seedDemoData } from '../../src/tools/seed'
import { dropDatabase, TEST_SERVER_URL } from '../helper'
import { listeningUrl, ROOT, startServer } from '../support/server-process'
import { extractCurlExamples, type DocExample } from './doc-examples'
import { bodyHolds, parseClaims, valueMatches } from './example-claims'
import { runExample } from './run-example'

/**
 * The docs' curl examples, run as written against the real server on `npm run seed`'s data.
 * README's come first, as a reader meets them; docs/rest.md says its own hold with or without
 * README's run before, so they run both ways.
 */
const readme = examplesOf('README.md')
const restReference = examplesOf('docs/rest.md')

function examplesOf(file: string): DocExample[] {
  return extractCurlExamples(readFileSync(path.join(ROOT, file), 'utf8'), file)
}

t.test('the docs state what their examples answer in a form this test checks', async (t) => {
  t.ok(readme.length >= 10, `README.md has its curl examples (${readme.length})`)
  t.ok(restReference.length >= 25, `docs/rest.md has its curl examples (${restReference.length})`)
  const claims = [...readme, ...restReference].map((example) => parseClaims(example.comment))
  const statuses = new Set(claims.map((claim) => claim.status))
  for (const status of [200, 201, 204, 304, 409, 412]) t.ok(statuses.has(status), `some example promises ${status}`)
  const headers = new Set(claims.flatMap((claim) => claim.headers.map((header) => header.name)))
  for (const name of ['etag', 'link', 'location', 'x-total-count']) t.ok(headers.has(name), `some example promises ${name}`)
  t.ok(claims.some((claim) => claim.bodies.length > 0), 'some example shows its body')
})

t.test('run top to bottom after npm run seed, every example answers what its comment says', async (t) => {
  const database = `lg_test_docs_examples_${randomBytes(4).toString('hex')}`
  t.teardown(() => dropDatabase(database))
  const config = loadConfig({ DATABASE_URL: `${TEST_SERVER_URL}/${database}`, LOG_LEVEL: 'silent' })
  // What `npm run seed` does (create, migrate, seed), on the database the server then uses.
  await seedDemoData(config)
  const server = startServer({ DATABASE_URL: config.DATABASE_URL })
  t.teardown(() => server.kill('SIGKILL'))
  const baseUrl = await listeningUrl(server)

  await t.test('README.md, then docs/rest.md', async (t) => {
    for (const example of [...readme, ...restReference]) await checkExample(t, example, baseUrl)
  })
  await t.test('docs/rest.md alone, after `npm run seed -- --reset` on the running server', async (t) => {
    await seedDemoData(config, { reset: true })
    for (const example of restReference) await checkExample(t, example, baseUrl)
  })
})

async function checkExample(t: Test, example: DocExample, baseUrl: string): Promise<void> {
  const claims = parseClaims(example.comment)
  const response = await runExample(example.command, baseUrl)
  const label = `${example.where} ${example.command.split('\n')[0].replace(/\s+(#.*|\\)$/, '')}`
  const diagnostics = { comment: example.comment, status: response.status, headers: response.headers, body: response.body }

  t.ok(response.status < 500, `${label}: no 5xx`, diagnostics)
  if (claims.status !== undefined) t.equal(response.status, claims.status, `${label}: ${claims.status}`, diagnostics)
  // An example that promises no status still promises to work: a 4xx there is a broken example.
  else t.ok(response.status >= 200 && response.status < 300, `${label}: 2xx`, diagnostics)

  for (const { name, value } of claims.headers) {
    t.ok(valueMatches(value, response.headers[name]), `${label}: ${name}: ${value}`, diagnostics)
  }
  for (const body of claims.bodies) {
    t.ok(bodyHolds(body, parseJson(response.body)), `${label}: body holds ${JSON.stringify(body)}`, diagnostics)
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
