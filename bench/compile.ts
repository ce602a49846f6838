import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import ts from 'typescript'

/** Source trees the servers load: the service, its entities and migrations, and the bench servers. */
const SOURCE_DIRS = ['src', 'entities', 'migrations', 'bench']

/**
 * Turns the TypeScript sources into plain CommonJS under bench/.tmp/ (inside the repo, so
 * `require` still finds node_modules), with tsconfig.json's compiler options, so the servers
 * run on plain `node` as in production. Running them under ts-node instead costs Lifeguard
 * more than the baselines: its source-map hook sits in front of every `require`, and mysql2's
 * `PoolConnection.promise()`, which TypeORM calls once per query, does a `require`.
 * Transpiling file by file (no type check) takes a second or two; `tsc --noEmit` checks types.
 */
export function compileForBench(repoRoot: string): { outDir: string; remove(): void } {
  const outDir = path.join(repoRoot, 'bench', '.tmp', `build-${process.pid}`)
  rmSync(outDir, { recursive: true, force: true })
  const compilerOptions = readCompilerOptions(repoRoot)
  for (const dir of SOURCE_DIRS) {
    for (const file of typeScriptFiles(path.join(repoRoot, dir))) {
      const relative = path.relative(repoRoot, file)
      if (relative.startsWith(path.join('bench', '.tmp'))) continue
      const { outputText, sourceMapText } = ts.transpileModule(readFileSync(file, 'utf8'), { compilerOptions, fileName: file })
      const target = path.join(outDir, relative.replace(/\.ts$/, '.js'))
      mkdirSync(path.dirname(target), { recursive: true })
      // The map sits beside the file for the CPU profile summary (profile/cpu-profile.ts), which
      // names TypeScript lines; the comment pointing at it is dropped, so the servers run the
      // same JavaScript as without a map (plain `node` ignores maps anyway).
      writeFileSync(target, outputText.replace(/\n\/\/# sourceMappingURL=.*\s*$/, '\n'))
      if (sourceMapText) writeFileSync(target + '.map', sourceMapText)
    }
  }
  const remove = () => rmSync(outDir, { recursive: true, force: true })
  // Also when the bench ends early (an error, Ctrl-C), which skips the caller's `finally`.
  process.once('exit', remove)
  return { outDir, remove }
}

function readCompilerOptions(repoRoot: string): ts.CompilerOptions {
  const configFile = path.join(repoRoot, 'tsconfig.json')
  const { config, error } = ts.readConfigFile(configFile, ts.sys.readFile)
  if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, '\n'))
  const { options } = ts.parseJsonConfigFileContent(config, ts.sys, repoRoot)
  return { ...options, sourceMap: true, inlineSourceMap: false, inlineSources: false, declaration: false, noEmit: false }
}

function typeScriptFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts'))
    .map((entry) => path.join(entry.parentPath ?? (entry as any).path, entry.name))
}
