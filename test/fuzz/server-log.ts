/**
 * The app's own log, captured to name the cause of a 5xx: the client is (rightly) told
 * nothing, so without it every 500 would be one failure class. The cause never decides
 * pass or fail; it only sorts failures into classes and goes into the report.
 */
const PINO_ERROR_LEVEL = 50

export class ServerLog {
  private lines: string[] = []

  /** pino calls this once per log line (buildApp's `logStream`). */
  write(line: string): void {
    this.lines.push(line)
  }

  /** Causes of the errors logged since the last call, with request data masked out. */
  drainCauses(): string[] {
    const causes = this.lines.flatMap((line) => {
      let entry: { level?: number; err?: { code?: string; type?: string; message?: string } }
      try {
        entry = JSON.parse(line)
      } catch {
        return []
      }
      if ((entry.level ?? 0) < PINO_ERROR_LEVEL || !entry.err) return []
      return [`${entry.err.code ?? entry.err.type ?? 'Error'}: ${shapeOf(entry.err.message ?? '')}`]
    })
    this.lines = []
    return [...new Set(causes)]
  }
}

/** A message with its variable parts (numbers, quoted text) masked, so one cause is one class. */
export function shapeOf(message: string): string {
  return message
    .replace(/(['"`]).*?\1/g, '?')
    .replace(/\d+(\.\d+)?/g, 'N')
    .slice(0, 100)
}
