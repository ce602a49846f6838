import { existsSync, readdirSync, rmdirSync, rmSync, statSync } from 'node:fs'
import path from 'node:path'

/**
 * Run after `tsc -b` (npm run build): deletes every file in dist/ whose TypeScript source no
 * longer exists, so the incremental build's output is what a clean build would write. tsc never
 * deletes the output of a deleted source, and code that loads files by directory (migrations)
 * would run the stale copy. The build's own state (*.tsbuildinfo) stays.
 */
const OUTPUT_SUFFIXES = ['.js.map', '.d.ts.map', '.d.ts', '.js']

export function pruneBuildOutput(projectRoot: string): string[] {
  const dist = path.join(projectRoot, 'dist')
  if (!existsSync(dist)) return []
  const removed: string[] = []
  const visit = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const file = path.join(dir, name)
      if (statSync(file).isDirectory()) {
        visit(file)
        if (readdirSync(file).length === 0) rmdirSync(file)
        continue
      }
      const suffix = OUTPUT_SUFFIXES.find((candidate) => name.endsWith(candidate))
      if (!suffix) continue
      const source = path.join(projectRoot, path.relative(dist, dir), name.slice(0, -suffix.length) + '.ts')
      if (existsSync(source)) continue
      rmSync(file)
      removed.push(path.relative(projectRoot, file))
    }
  }
  visit(dist)
  return removed
}

if (require.main === module) {
  const removed = pruneBuildOutput(path.resolve(__dirname, '..', '..', '..'))
  if (removed.length > 0) process.stdout.write(`removed stale build output: ${removed.join(', ')}\n`)
}
