/**
 * @module
 * The shell commands of a Markdown document and what it says they print, for doc-commands.e2e.ts.
 * - Every fenced `sh` block is cut into commands: a line ending in `\` continues on the next one;
 *   a `# …` at the end of a line is a remark.
 * - The `# …` lines right under a command (up to a blank line or the next command) are what it
 *   prints; `# …` lines after a blank line introduce the next command and are prose.
 * - An output line is read in parts separated by three or more spaces; a part in parentheses is a
 *   remark. For curl: `HTTP/1.1 403 Forbidden` is the status, `Name: value` a header, `404 {…}` a
 *   status and the body; anything else is the body, line by line.
 * - In what is printed, `…` stands for anything, `<name>` for one value (taken as `<name>` for
 *   later commands when it is not known yet), and a run of spaces for any whitespace.
 */

export type DocCommand = {
  file: string
  /** 1-based line of the command's first line. */
  line: number
  /** The `##` heading above the command; '' before the first. */
  section: string
  /** The command as written, continuation lines included, without trailing remarks. */
  text: string
  /** The `# …` lines under it, without the `# `. */
  printed: string[]
}

export type Expectation = { status?: number; headers: { name: string; value: string }[]; body: string[] }

/** Cuts a line at a `#` that starts a shell comment (outside quotes, after whitespace). */
function withoutRemark(line: string): string {
  let quote: string | undefined
  for (let i = 0; i < line.length; i++) {
    const char = line[i]
    if (quote) {
      if (char === quote) quote = undefined
    } else if (char === "'" || char === '"') quote = char
    else if (char === '#' && (i === 0 || /\s/.test(line[i - 1]))) return line.slice(0, i).trimEnd()
  }
  return line
}

/** Every command of every fenced `sh` block of `markdown`, in order. */
export function docCommands(file: string, markdown: string): DocCommand[] {
  const commands: DocCommand[] = []
  let section = ''
  let inBlock = false
  let current: DocCommand | undefined
  let continues = false
  // After a blank line, `#` lines are prose until the next command.
  let printing = false
  for (const [index, line] of markdown.split('\n').entries()) {
    if (!inBlock) {
      const heading = line.match(/^## (.+)$/)
      if (heading) section = heading[1].trim()
      if (/^```sh\s*$/.test(line)) {
        inBlock = true
        current = undefined
        printing = false
      }
      continue
    }
    if (/^```\s*$/.test(line)) {
      if (continues) throw new Error(`${file}:${index + 1}: a block ends inside a continued command`)
      inBlock = false
      continue
    }
    if (continues && current) {
      current.text += `\n${withoutRemark(line)}`
      continues = line.trimEnd().endsWith('\\')
      continue
    }
    if (line.trim() === '') {
      printing = false
      continue
    }
    if (line.trimStart().startsWith('#')) {
      if (printing && current) current.printed.push(line.trimStart().replace(/^#\s?/, ''))
      continue
    }
    current = { file, line: index + 1, section, text: withoutRemark(line), printed: [] }
    commands.push(current)
    continues = line.trimEnd().endsWith('\\')
    printing = true
  }
  if (inBlock) throw new Error(`${file}: a fenced sh block is not closed`)
  return commands
}

/** What a command's `# …` lines say it prints; `http`: the command is a curl (status and headers apply). */
export function expectation(printed: string[], http: boolean): Expectation {
  const expected: Expectation = { headers: [], body: [] }
  for (const line of printed) {
    for (const part of line.split(/\s{3,}/)) {
      if (part === '' || /^\(.*\)$/.test(part)) continue
      const statusLine = http && part.match(/^HTTP\/[\d.]+ (\d{3})\b/)
      const header = http && part.match(/^([A-Z][A-Za-z]*(?:-[A-Za-z]+)*): (.+)$/)
      const statusAndBody = http && part.match(/^(\d{3})(?: (.+))?$/)
      if (statusLine) expected.status = Number(statusLine[1])
      else if (header) expected.headers.push({ name: header[1], value: header[2] })
      else if (statusAndBody) {
        expected.status = Number(statusAndBody[1])
        if (statusAndBody[2]) expected.body.push(statusAndBody[2])
      } else expected.body.push(part)
    }
  }
  return expected
}

const PLACEHOLDER = /<([a-z][a-z0-9_]*)>/g

/** The `<name>` placeholders of a command or template. */
export function placeholders(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].map((match) => match[1])
}

const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')

/**
 * Matches `actual` against a template; the values of the placeholders it did not know (`known`
 * returns undefined), or null when it does not match.
 */
export function matchTemplate(
  template: string,
  actual: string,
  known: (name: string) => string | undefined,
): Record<string, string> | null {
  const names: string[] = []
  const source = template
    .trim()
    .split(/(…|<[a-z][a-z0-9_]*>|\s+)/)
    .map((token) => {
      if (token === '…') return '[\\s\\S]*?'
      if (/^\s+$/.test(token)) return '\\s+'
      const placeholder = token.match(/^<([a-z][a-z0-9_]*)>$/)
      if (!placeholder) return literal(token)
      const value = known(placeholder[1])
      if (value !== undefined) return literal(value)
      names.push(placeholder[1])
      return '([^\\s"]+)'
    })
    .join('')
  const match = actual.trim().match(new RegExp(`^${source}$`))
  if (!match) return null
  return Object.fromEntries(names.map((name, index) => [name, match[index + 1]]))
}
