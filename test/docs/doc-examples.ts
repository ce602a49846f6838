/**
 * The curl examples of a Markdown document, as a reader would copy them: every `curl` line of a
 * ```sh block with its continuation lines, plus what the document says it answers — the
 * trailing `# comment` of its last line and the `# ...` lines right below it (shown output).
 */
export interface DocExample {
  /** `README.md:84`, for messages */
  where: string
  /** the shell text, continuation lines included, exactly as written */
  command: string
  /** the comments after it, without their `#`, one per line ('' when there are none) */
  comment: string
}

export function extractCurlExamples(markdown: string, file: string): DocExample[] {
  const lines = markdown.split('\n')
  const examples: DocExample[] = []
  let inShellBlock = false
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]
    if (/^\s*```/.test(line)) {
      inShellBlock = !inShellBlock && /^\s*```(sh|bash|shell)\s*$/.test(line)
      continue
    }
    if (!inShellBlock || !/^\s*curl\s/.test(line)) continue
    const start = index
    const commandLines = [line]
    while (commandLines[commandLines.length - 1].endsWith('\\') && index + 1 < lines.length) {
      commandLines.push(lines[++index])
    }
    const comments: string[] = []
    const trailing = trailingComment(commandLines[commandLines.length - 1])
    if (trailing !== undefined) comments.push(trailing)
    while (index + 1 < lines.length && /^\s*#/.test(lines[index + 1])) {
      comments.push(lines[++index].replace(/^\s*#\s?/, ''))
    }
    examples.push({ where: `${file}:${start + 1}`, command: commandLines.join('\n'), comment: comments.join('\n') })
  }
  return examples
}

/**
 * The text after a shell comment's `#`: one that starts a word outside quotes, as bash reads it
 * (so `-d '{"a":"#1"}'` and `%23` in a URL are not comments).
 */
export function trailingComment(line: string): string | undefined {
  let quote: string | undefined
  for (let i = 0; i < line.length; i++) {
    const char = line[i]
    if (quote) {
      if (char === quote) quote = undefined
      else if (char === '\\' && quote === '"') i++
    } else if (char === "'" || char === '"') {
      quote = char
    } else if (char === '\\') {
      i++
    } else if (char === '#' && (i === 0 || /\s/.test(line[i - 1]))) {
      return line.slice(i + 1).trim()
    }
  }
  return undefined
}
