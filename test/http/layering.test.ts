import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import t from 'tap'

const SRC = path.join(__dirname, '..', '..', 'src')

/** Every .ts file under a directory, recursively. */
async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true })
  const nested = await Promise.all(
    entries.map((entry) => {
      const full = path.join(dir, entry.name)
      if (entry.isDirectory()) return sourceFiles(full)
      return Promise.resolve(entry.name.endsWith('.ts') ? [full] : [])
    })
  )
  return nested.flat()
}

/** Module specifiers of import/export-from/require/import() statements. */
function importsOf(source: string): string[] {
  const specifiers = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm
  return [...source.matchAll(specifiers)].map((match) => match[1])
}

t.test('importsOf finds every import form (so the check below can fail)', async (t) => {
  const source = [
    "import { a } from '../http/errors'",
    "import type { B } from \"../http/b\"",
    "export { c } from '../http/c'",
    "import '../http/side-effect'",
    "const d = require('../http/d')",
    "const e = await import('../http/e')"
  ].join('\n')
  t.same(importsOf(source), ['../http/errors', '../http/b', '../http/c', '../http/side-effect', '../http/d', '../http/e'])
})

t.test('no module under src/pool, src/db or src/auth imports src/http (errors belong to the layer that raises them)', async (t) => {
  for (const layer of ['pool', 'db', 'auth']) {
    const files = await sourceFiles(path.join(SRC, layer))
    t.ok(files.length > 0, `src/${layer} has sources`)
    for (const file of files) {
      const offending = importsOf(await readFile(file, 'utf8')).filter((specifier) => {
        if (!specifier.startsWith('.')) return false
        const target = path.resolve(path.dirname(file), specifier)
        return target === path.join(SRC, 'http') || target.startsWith(path.join(SRC, 'http') + path.sep)
      })
      t.same(offending, [], path.relative(SRC, file))
    }
  }
})
