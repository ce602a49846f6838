import { existsSync, readdirSync } from 'node:fs'
import path from 'node:path'

/** Where a module of this project runs from: its sources (ts-node, tests, the CLI) or the build in dist/. */
export interface ProjectLayout {
  /** `migrations/` in the project: the files the CLI writes and a developer deletes. */
  sourceDir: string
  /** Where the running code finds migrations: `migrations/` itself, or `dist/migrations/` (`.dev/migrations/` under npm run dev). */
  runtimeDir: string
  compiled: boolean
}

/**
 * The layout seen from `moduleDir` (this file's own `__dirname`: src/db, or src/db inside an
 * output folder such as dist/). The code runs from its sources when two levels up is the
 * project itself (it holds package.json), else from an output folder inside the project.
 */
export function projectLayout(moduleDir: string): ProjectLayout {
  const runtimeRoot = path.resolve(moduleDir, '..', '..')
  const compiled = !existsSync(path.join(runtimeRoot, 'package.json'))
  const root = compiled ? path.dirname(runtimeRoot) : runtimeRoot
  return { sourceDir: path.join(root, 'migrations'), runtimeDir: path.join(runtimeRoot, 'migrations'), compiled }
}

const SOURCE_FILE = /^(?!.*\.d\.ts$).+\.ts$/

/**
 * The migration files to load: one per file that exists in `migrations/`, never a glob over
 * the build output. A migration deleted from `migrations/` (after a revert, say) can leave its
 * compiled copy in dist/, and a glob would apply it again on the next start: that recreated a
 * dropped table once. A source without its compiled file means the build is out of date.
 */
export function migrationFiles(layout: ProjectLayout): string[] {
  if (!existsSync(layout.sourceDir)) {
    // Only the build was deployed: dist/ is then all there is, and is what was built.
    return existsSync(layout.runtimeDir) ? listed(layout.runtimeDir, /\.js$/) : []
  }
  const sources = listed(layout.sourceDir, SOURCE_FILE)
  if (!layout.compiled) return sources
  return sources.map((source) => {
    const compiled = path.join(layout.runtimeDir, path.basename(source).replace(/\.ts$/, '.js'))
    if (!existsSync(compiled)) throw new Error(`migration ${path.basename(source)} has no compiled file in ${path.basename(path.dirname(layout.runtimeDir))}/; run npm run build`)
    return compiled
  })
}

function listed(dir: string, pattern: RegExp): string[] {
  return readdirSync(dir)
    .filter((name) => pattern.test(name))
    .sort()
    .map((name) => path.join(dir, name))
}
