import t from 'tap'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { migrationFiles, projectLayout } from '../../src/db/migration-files'
import { pruneBuildOutput } from '../../src/tools/prune-build-output'

// Issue 13 §1: after `migration:revert` and deleting the migration's file, the next `npm start`
// applied the deleted migration from dist/ and recreated its table. Migrations are now loaded
// only for files that exist in migrations/, and the build deletes output whose source is gone.

function project(t: { teardown(fn: () => void): void }) {
  const root = mkdtempSync(path.join(os.tmpdir(), 'lg-layout-'))
  t.teardown(() => rmSync(root, { recursive: true, force: true }))
  const write = (file: string, text = '') => {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true })
    writeFileSync(path.join(root, file), text)
  }
  write('package.json', '{}')
  return { root, write }
}

t.test('the layout seen from sources, from dist/ and from npm run dev\'s .dev/', async (t) => {
  const { root } = project(t)
  const at = (...parts: string[]) => path.join(root, ...parts)
  t.same(projectLayout(at('src', 'db')), { sourceDir: at('migrations'), runtimeDir: at('migrations'), compiled: false })
  t.same(projectLayout(at('dist', 'src', 'db')), { sourceDir: at('migrations'), runtimeDir: at('dist', 'migrations'), compiled: true })
  t.same(projectLayout(at('.dev', 'src', 'db')), { sourceDir: at('migrations'), runtimeDir: at('.dev', 'migrations'), compiled: true })
})

t.test('a migration deleted from migrations/ is not loaded from a stale dist/', async (t) => {
  const { root, write } = project(t)
  write('migrations/1000-first.ts')
  write('migrations/2000-second.ts')
  write('dist/migrations/1000-first.js')
  write('dist/migrations/2000-second.js')
  write('dist/migrations/1500-deleted.js', 'stale: its source was deleted after a revert')
  const compiled = migrationFiles(projectLayout(path.join(root, 'dist', 'src', 'db')))
  t.same(compiled.map((file) => path.relative(root, file)), ['dist/migrations/1000-first.js', 'dist/migrations/2000-second.js'])
  const sources = migrationFiles(projectLayout(path.join(root, 'src', 'db')))
  t.same(sources.map((file) => path.relative(root, file)), ['migrations/1000-first.ts', 'migrations/2000-second.ts'])

  write('migrations/3000-unbuilt.ts')
  t.throws(() => migrationFiles(projectLayout(path.join(root, 'dist', 'src', 'db'))), /3000-unbuilt\.ts has no compiled file in dist\/; run npm run build/)
})

t.test('the build deletes output whose source is gone, and keeps the rest', async (t) => {
  const { root, write } = project(t)
  write('src/kept.ts')
  write('dist/src/kept.js')
  write('dist/src/kept.js.map')
  write('dist/src/gone.js')
  write('dist/src/gone.js.map')
  write('dist/migrations/1500-deleted.js')
  write('dist/old/only.js')
  write('dist/tsconfig.build.tsbuildinfo')
  const removed = pruneBuildOutput(root).sort()
  t.same(removed, ['dist/migrations/1500-deleted.js', 'dist/old/only.js', 'dist/src/gone.js', 'dist/src/gone.js.map'])
  t.ok(existsSync(path.join(root, 'dist/src/kept.js')), 'output of an existing source stays')
  t.ok(existsSync(path.join(root, 'dist/tsconfig.build.tsbuildinfo')), "the build's own state stays")
  t.notOk(existsSync(path.join(root, 'dist/old')), 'an emptied folder goes too')
})
