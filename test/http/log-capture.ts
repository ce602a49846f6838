import { buildTestApp } from '../helper'

export interface LogLine {
  level: number
  msg: string
  [key: string]: unknown
}

/** Builds the app with every log line kept, raw and parsed, as an operator's log would hold them. */
export async function appWithLog(
  t: Parameters<typeof buildTestApp>[0],
  overrides: Parameters<typeof buildTestApp>[1] = {}
) {
  const raw: string[] = []
  const lines: LogLine[] = []
  const logStream = {
    write: (line: string) => {
      raw.push(line)
      lines.push(JSON.parse(line))
    }
  }
  const app = await buildTestApp(t, { LOG_LEVEL: 'trace', ...overrides }, { logStream })
  return { app, lines, logText: () => raw.join('') }
}
