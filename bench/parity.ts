import type { RequestPlan } from './load'
import type { RunningServer } from './server-process'

/** Headers whose presence (not value) a client could depend on. */
const COMPARED_HEADERS = ['content-type', 'etag', 'location', 'link', 'retry-after']

interface Answer {
  status: number
  headers: string[]
  shape: string
}

/**
 * Sends one request of the scenario to every server and lists how the answers differ
 * from the first server's (Lifeguard's): status, which headers are present, and the JSON
 * shape (keys and value types, array lengths). A ratio only compares like with like when
 * this list is empty, so the report prints it next to the numbers.
 */
export async function parityDifferences(plan: RequestPlan, servers: RunningServer[]): Promise<string[]> {
  const answers = []
  for (const server of servers) answers.push(await ask(server.url, plan))
  const [reference, ...others] = answers
  const differences: string[] = []
  others.forEach((answer, i) => {
    const name = servers[i + 1].name
    if (answer.status !== reference.status) differences.push(`${name}: status ${answer.status}, not ${reference.status}`)
    const missing = reference.headers.filter((h) => !answer.headers.includes(h))
    const extra = answer.headers.filter((h) => !reference.headers.includes(h))
    if (missing.length) differences.push(`${name}: lacks header ${missing.join(', ')}`)
    if (extra.length) differences.push(`${name}: adds header ${extra.join(', ')}`)
    if (answer.shape !== reference.shape) differences.push(`${name}: body ${answer.shape}, not ${reference.shape}`)
  })
  return differences
}

async function ask(url: string, plan: RequestPlan): Promise<Answer> {
  const request = plan.setupRequest ? plan.setupRequest({ ...plan }, {}) : plan
  const response = await fetch(url + request.path, { method: request.method, headers: request.headers, body: request.body })
  const text = await response.text()
  let shape: string
  try {
    shape = shapeOf(JSON.parse(text))
  } catch {
    shape = `non-JSON (${text.length} bytes)`
  }
  return { status: response.status, headers: COMPARED_HEADERS.filter((h) => response.headers.has(h)), shape }
}

/** `{id:number,tags:[2×string]}`: keys and types without values. */
export function shapeOf(value: unknown): string {
  if (Array.isArray(value)) return `[${value.length}×${value.length ? shapeOf(value[0]) : '?'}]`
  if (value === null) return 'null'
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b))
    return `{${entries.map(([key, item]) => `${key}:${shapeOf(item)}`).join(',')}}`
  }
  return typeof value
}
