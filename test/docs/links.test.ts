import t from 'tap'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'

/**
 * Every file the docs point at is in the repository: relative Markdown links, paths under the
 * repo's top-level folders (`src/...`, `bench/...`, in prose, code spans or code blocks),
 * `./` and `../` paths, and bare `*.md` names. A reader of a checkout (or of the repository on
 * GitHub) has nothing else, so a reference to a file beside the repo, or to one that was
 * renamed or deleted, is a broken promise.
 */

const ROOT = path.join(__dirname, '..', '..')

/** Top-level folders whose paths the docs name without a link. */
const TOP_LEVEL = ['src', 'test', 'docs', 'bench', 'migrations', 'entities']

/**
 * Paths the docs name on purpose although no such file is committed. Kept tiny and explicit:
 * a new entry needs a reason.
 */
const ALLOWED_MISSING = new Map<string, string>([
  // README's "Add an entity" and docs/adding-an-entity.md walk the reader through writing it.
  ['entities/Review.ts', 'the example entity the how-to tells the reader to create'],
  // Git-ignored: `npm run bench` creates it (build output, default results folder).
  ['bench/.tmp', 'created by `npm run bench`, git-ignored'],
  ['bench/.tmp/results', 'created by `npm run bench`, git-ignored'],
  // A recorded profile names the files of the commit it was taken at; the next `npm run bench -- --publish` replaces it.
  ['src/rest/list-grammar.ts', 'docs/bench/profile.md was recorded at 88e01d3, before the list code moved to src/rest/list/']
])

/**
 * Not references to existing files, by where they stand: the name given to the TypeORM CLI
 * for a migration it is about to create (`migration:generate -- migrations/add-foo`, written
 * as migrations/<timestamp>-add-foo.ts), and module specifiers in code (`from './Book'`),
 * which are relative to the file the code goes in, not to the doc.
 */
const NEW_FILE_OR_SPECIFIER = /(?:migration:(?:generate|create)\s+(?:--\s+)?|from\s+['"]|(?:import|require)\s*\(\s*['"])$/

export interface Reference {
  /** `file:line` of the reference. */
  where: string
  /** As written. */
  text: string
  /** Repository-relative path it resolves to (`..` segments kept when it leaves the repo). */
  target: string
}

/** The references of one Markdown file, each resolved against the repository root. */
export function referencesOf(markdown: string, file: string): Reference[] {
  const dir = path.posix.dirname(file)
  const found: Reference[] = []
  const add = (index: number, text: string, target: string) => {
    if (NEW_FILE_OR_SPECIFIER.test(markdown.slice(Math.max(0, index - 40), index))) return
    const where = `${file}:${markdown.slice(0, index).split('\n').length}`
    target = path.posix.normalize(target).replace(/\/$/, '') || '.'
    // A link's target is also a `../` path: one reference per line and target.
    if (!found.some((ref) => ref.where === where && ref.target === target)) found.push({ where, text, target })
  }
  // [text](target), ![alt](target) and reference definitions `[id]: target`.
  const links = /!?\[[^\]\n]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)|^\s{0,3}\[[^\]\n]+\]:\s*<?(\S+?)>?(?:\s|$)/gm
  for (const match of markdown.matchAll(links)) {
    const raw = match[1] ?? match[2]
    if (/^[a-z][a-z0-9+.-]*:/i.test(raw) || raw.startsWith('#')) continue // URLs, mail, anchors
    const filePart = decodeURI(raw.replace(/[#?].*$/, ''))
    if (filePart === '') continue
    add(match.index!, raw, filePart.startsWith('/') ? filePart.slice(1) : path.posix.join(dir, filePart))
  }
  // Paths in running text, code spans and code blocks. A path must not continue another token
  // (a URL's `/src/...`, `foo.bench/`), and stops at anything that is not a path character.
  const pathChars = String.raw`[\w.@/<>{}*-]`
  const rooted = new RegExp(String.raw`(?<![\w./@~<-])((?:${TOP_LEVEL.join('|')})/${pathChars}*)`, 'g')
  for (const match of markdown.matchAll(rooted)) add(match.index!, match[1], staticPart(trimmed(match[1])))
  const relative = new RegExp(String.raw`(?<![\w./@~-])(\.\.?/${pathChars}+)`, 'g')
  for (const match of markdown.matchAll(relative)) {
    add(match.index!, match[1], path.posix.join(dir, staticPart(trimmed(match[1]))))
  }
  // A bare `NAME.md` is a file beside the doc or at the root (README.md from docs/).
  for (const match of markdown.matchAll(/(?<![\w./-])([\w-]+\.md)\b/g)) {
    const beside = path.posix.join(dir, match[1])
    add(match.index!, match[1], existsInRepo(beside) ? beside : match[1])
  }
  return found
}

/** Trailing prose punctuation is not part of a path. */
function trimmed(text: string): string {
  return text.replace(/[.,;:]+$/, '')
}

/** `migrations/{timestamp}-x.ts`, `test/**\/*.test.ts`, `build-<pid>/`: the folder before the placeholder. */
function staticPart(text: string): string {
  const placeholder = text.search(/[<>{}*]/)
  if (placeholder === -1) return text
  return text.slice(0, text.lastIndexOf('/', placeholder) + 1)
}

/** Inside the repository root (not beside it) and present in the checkout. */
function existsInRepo(target: string, root = ROOT): boolean {
  const absolute = path.resolve(root, target)
  if (absolute !== root && !absolute.startsWith(root + path.sep)) return false
  return existsSync(absolute)
}

/** README.md and every Markdown file under docs/. */
function docFiles(): string[] {
  const docs = readdirSync(path.join(ROOT, 'docs'), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.md'))
    .map((name) => path.posix.join('docs', name.split(path.sep).join('/')))
  return ['README.md', ...docs.sort()]
}

export function missing(references: Reference[], root = ROOT): Reference[] {
  return references.filter((ref) => !ALLOWED_MISSING.has(ref.target) && !existsInRepo(ref.target, root))
}

t.test('the checker finds what it should, and only that', async (t) => {
  const doc = [
    'See [the pool](../pool.md#sizing), [a chart](ratios.svg) and [the web](https://example.com/x.md).',
    'Design notes: DESIGN.md, "The machine"; also ../shared/DESIGN.md and [up](../../../shared/STYLE.md).',
    'Code in `src/db/nowhere.ts:12`, bench/servers/slow-book.ts, and a URL https://x.test/src/gone.ts.',
    '```',
    'migrations/{timestamp}-{kebab-name}.ts and test/**/*.test.ts and bench/.tmp/build-<pid>/',
    'entities/Review.ts   # the file you create',
    "npm run migration:generate -- migrations/add-reviews && import { Book } from './Book'",
    '```',
    '[id]: ./missing-too.md',
    'and `src/gone/` as a folder: [dir](../../src/gone/)'
  ].join('\n')
  const refs = referencesOf(doc, 'docs/bench/README.md')
  t.same(
    missing(refs)
      .map((ref) => `${ref.where} ${ref.target}`)
      .sort(),
    [
      'docs/bench/README.md:10 src/gone',
      'docs/bench/README.md:2 ../shared/STYLE.md',
      'docs/bench/README.md:2 DESIGN.md',
      'docs/bench/README.md:2 docs/shared/DESIGN.md',
      'docs/bench/README.md:3 src/db/nowhere.ts',
      'docs/bench/README.md:9 docs/bench/missing-too.md'
    ],
    'missing files, files outside the repo and bare names that resolve nowhere are reported'
  )
  const targets = refs.map((ref) => ref.target)
  for (const present of ['docs/pool.md', 'docs/bench/ratios.svg', 'bench/servers/slow-book.ts', 'migrations', 'test']) {
    t.ok(targets.includes(present), `${present} is read as a reference`)
  }
  t.same(
    targets.filter((target) => target.includes('gone.ts') || target.endsWith('/x.md') || target === 'x.md'),
    [],
    'URLs are not paths'
  )
})

t.test('README.md and docs/**/*.md reference no file missing from the repository', async (t) => {
  const files = docFiles()
  t.ok(files.includes('docs/bench/README.md') && files.length >= 6, `scans ${files.join(', ')}`)
  let count = 0
  for (const file of files) {
    const refs = referencesOf(readFileSync(path.join(ROOT, file), 'utf8'), file)
    count += refs.length
    for (const ref of missing(refs)) t.fail(`${ref.where}: ${ref.text} -> ${ref.target} is not in the repository`)
  }
  t.ok(count > 50, `checked ${count} references`)
  for (const [target] of ALLOWED_MISSING) {
    const mentioned = files.some((file) =>
      referencesOf(readFileSync(path.join(ROOT, file), 'utf8'), file).some((ref) => ref.target === target)
    )
    t.ok(mentioned, `allow-list entry ${target} is still used by some doc`)
  }
})
