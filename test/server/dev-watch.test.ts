import t from 'tap'
import { cpSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, appendFileSync, existsSync, readdirSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createTestDatabase } from '../helper'
import { ROOT, startTypeScript, waitForOutput } from '../support/server-process'

// Issue 13 §3: `npm run dev` restarts the server on a change, with the changed code. It runs
// on a copy of the project, so the edits it makes cannot reach other tests.
function projectCopy(t: { teardown(fn: () => void): void }): string {
  const copy = mkdtempSync(path.join(os.tmpdir(), 'lg-dev-'))
  t.teardown(() => rmSync(copy, { recursive: true, force: true }))
  for (const entry of ['src', 'entities', 'migrations', 'ormconfig.ts', 'package.json', 'tsconfig.json', 'tsconfig.build.json']) {
    cpSync(path.join(ROOT, entry), path.join(copy, entry), { recursive: true })
  }
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(copy, 'node_modules'))
  return copy
}

const listening = /Server listening at http:\/\/127\.0\.0\.1:(\d+)/g

t.test('npm run dev restarts on a change with the new code, and drops a deleted migration', async (t) => {
  const config = await createTestDatabase(t)
  const copy = projectCopy(t)
  const dev = startTypeScript('src/tools/dev.ts', [copy], { DATABASE_URL: config.DATABASE_URL }, copy)
  t.teardown(() => dev.kill('SIGKILL'))
  await waitForOutput(dev, listening, 60_000)

  const marker = `dev-watch-marker-${process.pid}`
  appendFileSync(path.join(copy, 'src', 'server.ts'), `\nprocess.stdout.write('${marker}\\n')\n`)
  await waitForOutput(dev, new RegExp(`${marker}[^]*Server listening`), 30_000)
  t.match(dev.output.stderr, /\[dev\] src\/server\.ts changed; restarting/)
  t.match(dev.output.stdout, /shutting down gracefully[^]*dev-watch-marker/, 'the old server shut down gracefully first')
  const port = [...dev.output.stdout.matchAll(listening)].at(-1)![1]
  const ready = await fetch(`http://127.0.0.1:${port}/health/ready`)
  t.equal(ready.status, 200, 'the restarted server serves')

  const [migration] = readdirSync(path.join(copy, 'migrations'))
  unlinkSync(path.join(copy, 'migrations', migration))
  const compiled = path.join(copy, '.dev', 'migrations', migration.replace(/\.ts$/, '.js'))
  await waitForOutput(dev, new RegExp(`migrations/${migration.replace('.', '\\.')} changed`), 30_000, 'stderr')
  t.notOk(existsSync(compiled), 'a deleted migration leaves no transpiled copy to run')

  dev.kill('SIGTERM')
  t.equal(await dev.exited, 0, 'SIGTERM stops the watcher and its server')
  t.match(dev.output.stdout, /shut down: in-flight requests finished[^]*shut down: in-flight requests finished/)
})
