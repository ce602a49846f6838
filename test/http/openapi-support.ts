import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import ts from 'typescript'
import openapiTS, { astToString } from 'openapi-typescript'

/**
 * Helpers for test/http/openapi.test.ts: walking an OpenAPI 3.0 document the way a client
 * generator reads it, and compiling a client generated from it.
 */

export type Json = Record<string, any>

export interface Operation {
  /** `GET /books/{id}`: how assertion messages name an operation. */
  label: string
  path: string
  method: string
  operation: Json
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']

export function operationsOf(document: Json): Operation[] {
  return Object.entries<Json>(document.paths ?? {}).flatMap(([path, item]) =>
    METHODS.filter((method) => item[method] !== undefined).map((method) => ({
      label: `${method.toUpperCase()} ${path}`,
      path,
      method,
      operation: item[method]
    }))
  )
}

/** HTTP header names are case-insensitive, and so are OpenAPI's `headers` keys. */
export function responseHeader(response: Json | undefined, name: string): Json | undefined {
  const key = Object.keys(response?.headers ?? {}).find((candidate) => candidate.toLowerCase() === name.toLowerCase())
  return key === undefined ? undefined : response!.headers[key]
}

/**
 * The query keys an operation lists: a plain parameter is one key; an object parameter in
 * exploded form style (a family of the list grammar) is one key per property.
 */
export function queryKeysOf(operation: Json): string[] {
  return (operation.parameters ?? [])
    .filter((parameter: Json) => parameter.in === 'query')
    .flatMap((parameter: Json) => (parameter.schema?.type === 'object' && parameter.explode === true ? Object.keys(parameter.schema.properties ?? {}) : [parameter.name]))
}

export function headerParameter(operation: Json, name: string): Json | undefined {
  return (operation.parameters ?? []).find(
    (parameter: Json) => parameter.in === 'header' && String(parameter.name).toLowerCase() === name.toLowerCase()
  )
}

/** Every `$ref` in the document with where it sits, as a JSON pointer. */
export function refsOf(node: unknown, at = ''): Array<{ at: string; ref: unknown }> {
  if (Array.isArray(node)) return node.flatMap((item, index) => refsOf(item, `${at}/${index}`))
  if (typeof node !== 'object' || node === null) return []
  return Object.entries(node).flatMap(([key, value]) =>
    key === '$ref' ? [{ at, ref: value }] : refsOf(value, `${at}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`)
  )
}

/** What a local `$ref` (`#/components/...`) points at; undefined when it points nowhere. */
export function resolveRef(document: Json, ref: unknown): unknown {
  if (typeof ref !== 'string' || !ref.startsWith('#/')) return undefined
  let node: unknown = document
  for (const raw of ref.slice(2).split('/')) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~')
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, key)) return undefined
    node = (node as Json)[key]
  }
  return node
}

/** A scratch directory whose `node_modules` is the project's, so generated code resolves its imports. */
export function scratchProject(projectRoot: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'lg-openapi-client-'))
  symlinkSync(path.join(projectRoot, 'node_modules'), path.join(dir, 'node_modules'), 'dir')
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) }
}

/** The `paths`/`components` types openapi-typescript generates from the document, as TypeScript text. */
export async function generateTypes(document: Json): Promise<string> {
  // A deep copy: the generator annotates the object it is given.
  const ast = await openapiTS(structuredClone(document) as Parameters<typeof openapiTS>[0], { silent: true })
  return astToString(ast)
}

export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text)
}

/** Strict, like the project's own tsconfig; nothing emitted, only the diagnostics matter. */
export const CLIENT_COMPILER_OPTIONS: ts.CompilerOptions = {
  strict: true,
  noEmit: true,
  noImplicitReturns: true,
  noFallthroughCasesInSwitch: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.CommonJS,
  moduleResolution: ts.ModuleResolutionKind.Node10,
  lib: ['lib.es2022.d.ts'],
  types: ['node'],
  esModuleInterop: true,
  // Only the libraries' own .d.ts files are skipped: the generated types are a .ts file, so checked.
  skipLibCheck: true
}

export interface Diagnostic {
  file: string
  /** 1-based, as an editor shows it. */
  line: number
  code: number
  message: string
}

/** Typechecks `rootFiles` together; every error with its file and line. */
export function typecheck(rootFiles: string[]): Diagnostic[] {
  const program = ts.createProgram(rootFiles, CLIENT_COMPILER_OPTIONS)
  return ts.getPreEmitDiagnostics(program).map((diagnostic) => {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')
    if (!diagnostic.file || diagnostic.start === undefined) return { file: '', line: 0, code: diagnostic.code, message }
    const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start)
    return { file: path.basename(diagnostic.file.fileName), line: line + 1, code: diagnostic.code, message }
  })
}

export const formatDiagnostics = (diagnostics: Diagnostic[]) =>
  diagnostics.map((d) => `${d.file}:${d.line} TS${d.code} ${d.message}`).join('\n')

/** The lines of `text` that end in `// WRONG: why`, by 1-based line number. */
export function markedLines(text: string): Map<number, string> {
  const marked = new Map<number, string>()
  text.split('\n').forEach((line, index) => {
    const match = /\/\/ WRONG: (.*)$/.exec(line)
    if (match) marked.set(index + 1, match[1])
  })
  return marked
}

/** Transpiles a checked client to CommonJS next to its source and loads it. */
export function loadTranspiled<T>(dir: string, name: string, source: string): T {
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { ...CLIENT_COMPILER_OPTIONS, noEmit: false },
    fileName: name
  })
  const file = path.join(dir, name.replace(/\.ts$/, '.js'))
  writeFileSync(file, outputText)
  return require(file) as T
}
