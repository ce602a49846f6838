/**
 * The fuzz targets, read from the app's own OpenAPI 3 document: every path x method, with
 * its parameters and request body schema, `$ref`s resolved. Nothing here knows a route:
 * a new entity or a new hand-written route is fuzzed as soon as it is documented.
 */
export type JsonSchema = Record<string, any>

export interface OperationParam {
  name: string
  in: 'path' | 'query' | 'header' | 'cookie'
  required: boolean
  schema: JsonSchema
  description?: string
  /** A key of a family whose keys carry a free part: generated from this regex instead of `name`. */
  namePattern?: string
}

export interface Operation {
  method: string
  /** Path template as documented, e.g. `/books/{id}`. */
  path: string
  pathParams: OperationParam[]
  queryParams: OperationParam[]
  headerParams: OperationParam[]
  body?: { required: boolean; contentTypes: string[]; schema: JsonSchema }
  /** Properties of the rows a 2xx answer carries (a list's items, or the object), by name. */
  resultFields: Record<string, JsonSchema>
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']

export function operationsOf(doc: JsonSchema): Operation[] {
  const operations: Operation[] = []
  for (const [path, rawItem] of Object.entries<JsonSchema>(doc.paths ?? {})) {
    const item = resolveRefs(doc, rawItem)
    for (const method of METHODS) {
      const operation = item[method]
      if (!operation) continue
      // Operation-level parameters override path-level ones with the same name and location.
      const params = new Map<string, OperationParam>()
      for (const param of [...(item.parameters ?? []), ...(operation.parameters ?? [])]) {
        params.set(`${param.in}:${param.name}`, { ...param, required: param.required === true, schema: param.schema ?? {} })
      }
      const all = [...params.values()]
      const content: Record<string, { schema?: JsonSchema }> | undefined = operation.requestBody?.content
      operations.push({
        method: method.toUpperCase(),
        path,
        pathParams: all.filter((param) => param.in === 'path'),
        queryParams: all.filter((param) => param.in === 'query').flatMap(queryKeysOf),
        headerParams: all.filter((param) => param.in === 'header'),
        body: content
          ? {
              required: operation.requestBody.required === true,
              contentTypes: Object.keys(content),
              schema: Object.values(content)[0]?.schema ?? {}
            }
          : undefined,
        resultFields: resultFieldsOf(operation.responses ?? {})
      })
    }
  }
  return operations
}

/**
 * An object parameter in exploded form style is a family of query keys (the list grammar's
 * `where`, `where.or`, ...): each of its properties is a key, and each of its
 * `x-key-patterns` stands for every key the pattern matches.
 */
function queryKeysOf(param: OperationParam): OperationParam[] {
  if (param.schema.type !== 'object' || (param as JsonSchema).explode !== true) return [param]
  const keys = Object.entries<JsonSchema>(param.schema.properties ?? {}).map(([name, schema]) => ({ name, in: param.in, required: false, schema }))
  const patterns = Object.entries<JsonSchema>(param.schema['x-key-patterns'] ?? {}).map(([pattern, schema]) => ({
    name: `${param.name}.*`,
    in: param.in,
    required: false,
    schema,
    namePattern: pattern
  }))
  return [...keys, ...patterns]
}

function resultFieldsOf(responses: Record<string, JsonSchema>): Record<string, JsonSchema> {
  for (const [status, response] of Object.entries(responses)) {
    if (!status.startsWith('2')) continue
    const schema = response.content?.['application/json']?.schema
    const row = schema?.type === 'array' ? schema.items : schema
    if (row?.properties) return row.properties
  }
  return {}
}

/**
 * The result field a query parameter is about, by the grammar's dotted names
 * (`where.createdAt.gte` -> createdAt): a filter may be documented as plain text while the
 * field it filters has a typed schema, and that type is what hostile values should aim at.
 */
export function fieldOfParam(operation: Operation, param: OperationParam): JsonSchema | undefined {
  if (Array.isArray(param.schema.enum)) return undefined
  const segments = param.name.split('.').slice(1)
  const name = segments.find((segment) => Object.hasOwn(operation.resultFields, segment))
  return name === undefined ? undefined : operation.resultFields[name]
}

/** `GET /books/{id}` */
export function operationName(operation: Operation): string {
  return `${operation.method} ${operation.path}`
}

/**
 * A copy of `value` with every local `$ref` replaced by what it points to. A cycle is cut
 * where it closes (a `$ref` already being resolved on the way here: `Author` -> `books` ->
 * `Book` -> `author` -> `Author`) and at `maxDepth`, with an empty schema, which accepts
 * anything, so generation stays total. Cutting at the first repeat keeps the copy linear in
 * the document: entity schemas that embed each other would otherwise expand to every path of
 * length `maxDepth` through them.
 */
export function resolveRefs(doc: JsonSchema, value: any, depth = 0, maxDepth = 32, resolving: ReadonlySet<string> = new Set()): any {
  if (Array.isArray(value)) return value.map((item) => resolveRefs(doc, item, depth, maxDepth, resolving))
  if (value === null || typeof value !== 'object') return value
  if (typeof value.$ref === 'string') {
    if (depth >= maxDepth || resolving.has(value.$ref)) return {}
    const { $ref, ...siblings } = value
    return resolveRefs(doc, { ...pointer(doc, $ref), ...siblings }, depth + 1, maxDepth, new Set([...resolving, $ref]))
  }
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, resolveRefs(doc, item, depth, maxDepth, resolving)]))
}

function pointer(doc: JsonSchema, ref: string): JsonSchema {
  if (!ref.startsWith('#/')) throw new Error(`only local $refs are supported, got ${ref}`)
  let node: any = doc
  for (const token of ref.slice(2).split('/')) {
    node = node?.[token.replace(/~1/g, '/').replace(/~0/g, '~')]
  }
  if (node === undefined) throw new Error(`$ref ${ref} points nowhere in the OpenAPI document`)
  return node
}
