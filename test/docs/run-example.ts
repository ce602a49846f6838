import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

export interface ExampleResponse {
  status: number
  /** lower-case names; the last value of a repeated header */
  headers: Record<string, string>
  body: string
}

/**
 * Runs one example's text through bash as a reader would paste it, with `B` set to the server.
 * A `curl` function in front of it records the response's headers and body in files (whether or
 * not the example says `-i`), so the example itself runs unchanged.
 */
export async function runExample(command: string, baseUrl: string): Promise<ExampleResponse> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'lg-doc-example-'))
  try {
    const headersFile = path.join(dir, 'headers')
    const bodyFile = path.join(dir, 'body')
    const recordingCurl = 'curl() { command curl -sS --max-time 20 -D "$LG_HEADERS" -o "$LG_BODY" "$@"; }'
    await run('bash', ['-c', `${recordingCurl}\n${command}`], {
      env: { PATH: process.env.PATH, B: baseUrl, LG_HEADERS: headersFile, LG_BODY: bodyFile },
      timeout: 30_000
    })
    const { status, headers } = parseHeaderBlock(await readFile(headersFile, 'utf8'))
    return { status, headers, body: withoutHeaders(await readFile(bodyFile, 'utf8').catch(() => '')) }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

function parseHeaderBlock(text: string): { status: number; headers: Record<string, string> } {
  const [statusLine, ...lines] = text.trim().split(/\r?\n/)
  const status = Number(/^HTTP\/[\d.]+ (\d{3})/.exec(statusLine)?.[1])
  if (!Number.isInteger(status)) throw new Error(`curl recorded no response status: ${JSON.stringify(text)}`)
  const headers: Record<string, string> = {}
  for (const line of lines) {
    const colon = line.indexOf(':')
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
  }
  return { status, headers }
}

/** With `-i` curl writes the headers into the output file too. */
function withoutHeaders(output: string): string {
  if (!output.startsWith('HTTP/')) return output
  const end = output.indexOf('\r\n\r\n')
  return end === -1 ? '' : output.slice(end + 4)
}
