/**
 * @module
 * The commands of the README, docs/walkthrough.md and docs/oidc.md, run as a newcomer runs them
 * (`npm run test:e2e`):
 * in a throwaway copy of the project (./project-copy.ts), `npm run dev` as the quick start says,
 * then every command of every fenced `sh` block, in order, through bash (curl, openssl, npm). What
 * each prints is checked against the `# …` lines under it (./doc-commands.ts says how they are
 * read); a curl with none must answer 2xx. Placeholders (`<client_id>`, `<access_token>`, …) are
 * filled from `npm run dev`'s credentials and from what earlier commands printed: a value printed
 * in a section (a JSON string field, or a `<name>` in a `# …` line) serves that section, a value
 * printed before a file's first `##` heading serves the whole file. A doc edit that breaks a
 * command, or a change that makes a documented output false, fails here.
 *
 * Not run (NOT_RUN, each with its reason): `npm test` and the deploy commands. The step a person
 * does in a browser (log in, Approve) is done in chromium once a command prints an /o/authorize/ URL.
 * Ports: the docs' localhost:8787 and 127.0.0.1:9000 are replaced by free ones (SUBSTITUTIONS).
 */
import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { after, before, test } from 'node:test'
import type { Browser } from 'playwright-core'
import { type DocCommand, docCommands, expectation, matchTemplate, placeholders } from './doc-commands.ts'
import { launchChromium } from './harness.ts'
import { projectCopy, ROOT } from './project-copy.ts'

const PORT = Number(process.env.E2E_DOC_COMMANDS_PORT ?? 8792)
const CALLBACK_PORT = Number(process.env.E2E_DOC_COMMANDS_CALLBACK_PORT ?? 9915)
const STARTUP_MS = 90_000
const FILES = ['README.md', 'docs/walkthrough.md', 'docs/oidc.md']

const SUBSTITUTIONS: [string, string][] = [
  ['localhost:8787', `localhost:${PORT}`],
  ['localhost%3A8787', `localhost%3A${PORT}`],
  ['127.0.0.1:9000', `127.0.0.1:${CALLBACK_PORT}`],
]
const substitute = (text: string) => SUBSTITUTIONS.reduce((out, [from, to]) => out.replaceAll(from, to), text)

/** The quick start's server command: run as `npm run dev` (node_modules are linked into the copy). */
const QUICK_START = { file: 'README.md', text: 'npm install && npm run dev' }

const NOT_RUN: { file: string; section?: string; command?: RegExp; reason: string }[] = [
  {
    file: 'README.md',
    command: /^npm install && npm test$/,
    reason: 'the unit suite itself: CI runs `npm test` before `npm run test:e2e`',
  },
  {
    file: 'README.md',
    section: 'Deploying',
    reason: 'deploys to a Cloudflare account: needs `wrangler login` and the network',
  },
]
const notRunUsed = new Set<number>()

function notRun(command: DocCommand): string | undefined {
  const index = NOT_RUN.findIndex(
    (rule) =>
      rule.file === command.file &&
      (rule.section === undefined || rule.section === command.section) &&
      (rule.command === undefined || rule.command.test(command.text)),
  )
  if (index < 0) return undefined
  notRunUsed.add(index)
  return NOT_RUN[index].reason
}

const copy = projectCopy()
const work = mkdtempSync(join(tmpdir(), 'eot-doc-commands-'))
let dev: ChildProcess | undefined
let devOutput = ''
let browser: Browser | undefined

// curl as installed, quiet (no progress meter), its response headers written where the check reads them.
const realCurl = (await run('command -v curl', {})).stdout.trim()
writeFileSync(join(work, 'curl'), `#!/bin/sh\nexec ${realCurl} -sS -D "$DOC_CURL_HEADERS" "$@"\n`)
chmodSync(join(work, 'curl'), 0o755)

// The client's redirection endpoint (127.0.0.1:9000 in the docs): records where the browser lands.
let landed: string | undefined
const callback = createServer((request, response) => {
  if (request.url?.startsWith('/callback')) landed = `http://127.0.0.1:${CALLBACK_PORT}${request.url}`
  response.writeHead(200, { 'Content-Type': 'text/plain' }).end('client callback')
})

type Ran = { code: number | null; stdout: string; stderr: string }

function run(command: string, env: Record<string, string>): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', command], {
      cwd: copy.directory,
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', ...env },
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => {
      stdout += chunk
    })
    child.stderr.on('data', (chunk) => {
      stderr += chunk
    })
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

// Placeholder values: npm run dev's credentials, then each file's first step, then each section's.
const credentials = new Map<string, string>()
const fileValues = new Map<string, Map<string, string>>()
const sectionValues = new Map<string, Map<string, string>>()
// Shell variables a command assigned (VERIFIER=$(…)), for the commands after it.
const shellVariables: Record<string, string> = {}

function scope(command: DocCommand): Map<string, string> {
  if (command.section === '') {
    if (!fileValues.has(command.file)) fileValues.set(command.file, new Map())
    return fileValues.get(command.file) as Map<string, string>
  }
  const key = `${command.file} § ${command.section}`
  if (!sectionValues.has(key)) sectionValues.set(key, new Map())
  return sectionValues.get(key) as Map<string, string>
}

function lookup(command: DocCommand, name: string): string | undefined {
  return scope(command).get(name) ?? fileValues.get(command.file)?.get(name) ?? credentials.get(name)
}

const where = (command: DocCommand) => `${command.file}:${command.line}`

/** The last response's status and headers from curl's -D file. */
function responseHead(file: string): { status: number; headers: Headers } | undefined {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
  const blocks = text.split(/\r?\n\r?\n/).filter((block) => block.trim() !== '')
  const [statusLine, ...lines] = (blocks.at(-1) ?? '').split(/\r?\n/)
  const headers = new Headers()
  for (const line of lines) {
    const colon = line.indexOf(':')
    if (colon > 0) headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim())
  }
  return { status: Number(statusLine.split(' ')[1]), headers }
}

/** What the command printed, as the doc shows it: without npm's `> script` banner or curl -i's head. */
function printedBody(command: DocCommand, stdout: string): string {
  if (/^curl\b/.test(command.text)) return stdout.replace(/^HTTP\/[\d.]+ \d{3}[\s\S]*?\r?\n\r?\n/, '').trim()
  return stdout
    .split('\n')
    .filter((line) => !/^> /.test(line))
    .join('\n')
    .trim()
}

async function runCommand(command: DocCommand): Promise<void> {
  const values = scope(command)
  const assignment = command.text.match(/^([A-Z_][A-Z0-9_]*)=(.+)$/)
  if (assignment) {
    const ran = await run(`${command.text}\nprintf %s "$${assignment[1]}"`, shellVariables)
    assert.equal(ran.code, 0, `${where(command)}: ${command.text}\n${ran.stderr}`)
    assert.ok(ran.stdout, `${where(command)}: ${assignment[1]} is empty`)
    shellVariables[assignment[1]] = ran.stdout
    return
  }
  let text = substitute(command.text)
  for (const name of placeholders(text)) {
    const value = lookup(command, name)
    assert.ok(value !== undefined, `${where(command)}: nothing printed earlier gives <${name}>`)
    text = text.replaceAll(`<${name}>`, value)
  }
  const headFile = join(work, `head-${command.line}`)
  rmSync(headFile, { force: true })
  const ran = await run(text, { ...shellVariables, PATH: `${work}:${process.env.PATH}`, DOC_CURL_HEADERS: headFile })
  const shown = `${where(command)}: ${text}\n--- printed:\n${ran.stdout}${ran.stderr}`
  assert.equal(ran.code, 0, shown)
  const http = /^curl\b/.test(command.text)
  const expected = expectation(command.printed.map(substitute), http)
  const body = printedBody(command, ran.stdout)
  if (http) {
    const head = responseHead(headFile)
    assert.ok(head, shown)
    if (expected.status !== undefined) assert.equal(head.status, expected.status, shown)
    else assert.ok(head.status >= 200 && head.status < 300, `${shown}\n(no status documented: expected 2xx)`)
    for (const header of expected.headers) {
      const actual = head.headers.get(header.name)
      assert.ok(actual !== null, `${shown}\n(no ${header.name} header)`)
      assert.ok(
        matchTemplate(header.value, actual, () => undefined),
        `${shown}\n(${header.name}: ${header.value})`,
      )
    }
  }
  if (expected.body.length > 0) {
    const captured = matchTemplate(expected.body.join('\n'), body, (name) => lookup(command, name))
    assert.ok(captured, `${shown}\n--- documented:\n${expected.body.join('\n')}`)
    for (const [name, value] of Object.entries(captured)) values.set(name, value)
  }
  // A JSON answer's string fields serve the commands after it (<access_token>, <refresh_token>, …).
  if (http && body.startsWith('{')) {
    for (const [name, value] of Object.entries(JSON.parse(body) as Record<string, unknown>)) {
      if (typeof value === 'string') values.set(name, value)
    }
  }
  if (/^https?:\/\/\S+\/o\/authorize\/\?\S+$/.test(body)) await approveInBrowser(command, body)
}

/**
 * What the walkthrough asks of the person: open the URL, log in, Approve; then the landing URL is
 * checked against the one the walkthrough shows (`http://127.0.0.1:9000/callback?code=…`) and
 * gives <code>.
 */
async function approveInBrowser(command: DocCommand, url: string): Promise<void> {
  const markdown = readFileSync(join(ROOT, 'docs/walkthrough.md'), 'utf8')
  const documented = markdown.match(/`(http:\/\/127\.0\.0\.1:9000\/callback\?code=[^`]+)`/)?.[1]
  assert.ok(documented, 'docs/walkthrough.md shows no callback URL with a code for the authorize step')
  const password = credentials.get('password')
  assert.ok(password)
  browser ??= await launchChromium()
  const page = await browser.newPage()
  try {
    landed = undefined
    await page.goto(url)
    await page.getByLabel('Username').fill('admin')
    await page.getByLabel('Password').fill(password)
    await page.getByRole('button', { name: 'Log in' }).click()
    await Promise.all([
      page.waitForURL((next) => next.href.startsWith(`http://127.0.0.1:${CALLBACK_PORT}/callback`)),
      page.getByRole('button', { name: 'Approve' }).click(),
    ])
  } finally {
    await page.close()
  }
  assert.ok(landed, 'the browser landed on the redirect URI')
  assert.ok(
    matchTemplate(substitute(documented), landed, () => undefined),
    `landed on ${landed}, not ${documented}`,
  )
  scope(command).set('code', new URL(landed).searchParams.get('code') ?? '')
}

/** `npm run dev` in the copy until it has printed the demo credentials, last and framed. */
async function startDev(): Promise<void> {
  const child = spawn(
    'npm',
    ['run', 'dev', '--', '--ip', '127.0.0.1', '--port', String(PORT), '--show-interactive-dev-session=false'],
    {
      cwd: copy.directory,
      detached: true,
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', FORCE_COLOR: '0', CLOUDFLARE_CF_FETCH_ENABLED: 'false' },
    },
  )
  dev = child
  child.stdout?.on('data', (chunk) => {
    devOutput += chunk
  })
  child.stderr?.on('data', (chunk) => {
    devOutput += chunk
  })
  const deadline = Date.now() + STARTUP_MS
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`npm run dev exited early:\n${devOutput}`)
    if ((devOutput.match(/^═{20,}\s*$/gm) ?? []).length >= 2) return
    await new Promise((done) => setTimeout(done, 200))
  }
  throw new Error(`npm run dev printed no demo block within ${STARTUP_MS} ms:\n${devOutput}`)
}

/** The credentials in npm run dev's block: the password-grant application's first, then the client-credentials one's. */
function readCredentials(output: string): void {
  const block = output.slice(output.indexOf('Demo data created'))
  const all = (label: string) => [...block.matchAll(new RegExp(`^\\s*${label}:\\s+(\\S+)$`, 'gm'))].map((m) => m[1])
  const [password] = all('password')
  const [clientId, serviceClientId] = all('client_id')
  const [clientSecret, serviceClientSecret] = all('client_secret')
  assert.ok(password && clientId && clientSecret && serviceClientId && serviceClientSecret, output)
  credentials.set('password', password)
  credentials.set('client_id', clientId)
  credentials.set('client_secret', clientSecret)
  credentials.set('service_client_id', serviceClientId)
  credentials.set('service_client_secret', serviceClientSecret)
}

before(async () => {
  await new Promise<void>((resolve) => callback.listen(CALLBACK_PORT, '127.0.0.1', resolve))
})

after(async () => {
  await browser?.close()
  callback.close()
  // npm runs node, which runs wrangler, which runs workerd: end the whole group this test started.
  if (dev?.pid && dev.exitCode === null) process.kill(-dev.pid, 'SIGTERM')
  copy.remove()
  rmSync(work, { recursive: true, force: true })
})

test('the checker: a documented status, header or body that differs fails; placeholders are taken', () => {
  const [first, second] = docCommands(
    'example.md',
    [
      '## A',
      '```sh',
      '# prose before a command',
      "curl -i http://x/ -d 'a=1' \\",
      "  -d 'b=2'   # a remark",
      '# HTTP/1.1 401 Unauthorized   WWW-Authenticate: Bearer …',
      '# {"token":"<key>"}   (a remark)',
      '',
      '# prose',
      'npm run manage -- x',
      '```',
    ].join('\n'),
  )
  assert.deepEqual(first, {
    file: 'example.md',
    line: 4,
    section: 'A',
    text: "curl -i http://x/ -d 'a=1' \\\n  -d 'b=2'",
    printed: ['HTTP/1.1 401 Unauthorized   WWW-Authenticate: Bearer …', '{"token":"<key>"}   (a remark)'],
  })
  assert.deepEqual(second.printed, [])
  const expected = expectation(first.printed, true)
  assert.deepEqual(expected, {
    status: 401,
    headers: [{ name: 'WWW-Authenticate', value: 'Bearer …' }],
    body: ['{"token":"<key>"}'],
  })
  assert.deepEqual(
    matchTemplate(expected.body[0], '{"token":"abc"}', () => undefined),
    { key: 'abc' },
  )
  assert.equal(
    matchTemplate(expected.body[0], '{"token":"abc"}', () => 'other'),
    null,
  )
  assert.equal(
    matchTemplate('{"scope":"read write",…}', '{"scope":"read",…}', () => undefined),
    null,
  )
  assert.equal(
    matchTemplate('Bearer …', 'Token', () => undefined),
    null,
  )
})

test('README.md § Quick start: npm run dev prints the demo credentials', async () => {
  const quickStart = docCommands(QUICK_START.file, readFileSync(join(ROOT, QUICK_START.file), 'utf8')).find((command) =>
    command.text.startsWith(QUICK_START.text),
  )
  assert.ok(quickStart, `${QUICK_START.file} no longer starts the server with \`${QUICK_START.text}\``)
  await startDev()
  readCredentials(devOutput)
})

for (const file of FILES) {
  const commands = docCommands(file, readFileSync(join(ROOT, file), 'utf8'))
  const sections = [...new Set(commands.map((command) => command.section))]
  for (const section of sections) {
    test(`${file} § ${section || 'top'}`, async (t) => {
      assert.ok(credentials.size > 0, 'npm run dev did not start')
      for (const command of commands.filter((each) => each.section === section)) {
        if (file === QUICK_START.file && command.text.startsWith(QUICK_START.text)) continue
        const reason = notRun(command)
        if (reason) t.diagnostic(`not run: ${where(command)} ${command.text.split('\n')[0]} (${reason})`)
        else await runCommand(command)
      }
    })
  }
}

test('every not-run rule still names a command of the docs', () => {
  assert.deepEqual(
    NOT_RUN.filter((_, index) => !notRunUsed.has(index)).map((rule) => rule.reason),
    [],
  )
})

// The files docs/coming-from-django.md's recipe has the reader write: not files of this project.
const TO_BE_WRITTEN = new Set(['src/api/notes.ts', 'test/api/notes.test.ts'])
const DOCUMENTS = [
  'README.md',
  'SECURITY.md',
  'bench/README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
]

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
const anchor = (heading: string) =>
  heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-')

test('every file, migration and heading the docs name exists', () => {
  const missing: string[] = []
  for (const document of DOCUMENTS) {
    const text = readFileSync(join(ROOT, document), 'utf8')
    for (const [, path] of text.matchAll(/`((?:src|test|scripts|bench|migrations|docs)\/[\w./-]+)`/g)) {
      if (!TO_BE_WRITTEN.has(path) && !existsSync(join(ROOT, path))) missing.push(`${document}: \`${path}\``)
    }
    for (const [, migration] of text.matchAll(/`(\d{4}_\w+\.sql)`/g)) {
      if (!existsSync(join(ROOT, 'migrations', migration))) missing.push(`${document}: \`${migration}\``)
    }
    for (const [, target, fragment] of text.matchAll(/\]\(([^):#\s]*)(?:#([^)\s]+))?\)/g)) {
      const file = target === '' ? join(ROOT, document) : join(ROOT, dirname(document), target)
      if (!existsSync(file)) missing.push(`${document}: (${target})`)
      else if (fragment && file.endsWith('.md')) {
        const headings = [...readFileSync(file, 'utf8').matchAll(/^#{1,6} (.+)$/gm)].map((match) => anchor(match[1]))
        if (!headings.includes(fragment)) missing.push(`${document}: (${target}#${fragment})`)
      }
    }
  }
  assert.deepEqual(missing, [])
})
