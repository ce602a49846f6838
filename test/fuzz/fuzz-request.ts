import type { FastifyInstance } from 'fastify'

/** One HTTP request as the fuzzer sends it, and how a failure report shows it. */
export interface FuzzRequest {
  method: string
  /** Path and query exactly as sent: already percent-encoded (or deliberately malformed). */
  url: string
  headers: Record<string, string>
  /** Exact body bytes; undefined sends none. */
  payload?: string
}

export interface FuzzResponse {
  statusCode: number
  headers: Record<string, unknown>
  body: string
}

/** A request that gets no answer in this long is a failure of its own (a hang), not a slow test. */
export const ANSWER_TIMEOUT_MS = 10_000

export async function send(app: FastifyInstance, request: FuzzRequest): Promise<FuzzResponse> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ANSWER_TIMEOUT_MS} ms`)), ANSWER_TIMEOUT_MS)
  })
  try {
    const response = await Promise.race([
      app.inject({ method: request.method as 'GET', url: request.url, headers: request.headers, payload: request.payload }),
      timeout
    ])
    return { statusCode: response.statusCode, headers: response.headers, body: response.body }
  } finally {
    clearTimeout(timer)
  }
}

function shorten(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}... (${text.length} chars)`
}

/** `PATCH /books/1` + headers + body, with long parts cut and invisible characters made visible. */
export function describeRequest(request: FuzzRequest): string {
  const visible = (text: string) => JSON.stringify(shorten(text, 300))
  const lines = [`${request.method} ${shorten(request.url, 500)}`]
  for (const [name, value] of Object.entries(request.headers)) lines.push(`${name}: ${visible(value)}`)
  lines.push(request.payload === undefined ? '(no body)' : `body: ${visible(request.payload)}`)
  return lines.join('\n  ')
}
