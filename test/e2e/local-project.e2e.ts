/**
 * @module
 * A developer's local project, as the README and docs/configuration.md describe it (`npm run
 * test:e2e`): a copy of the project (its own wrangler.toml and `.dev.vars`, the code linked in) in a
 * temporary directory, so this test never touches the developer's own `.dev.vars` or local database.
 * - `npm run dev` the first time: a few lines of progress, then the demo credentials, last and framed;
 *   no "Missing required secrets" warning; the second time, as short.
 * - settings in `.dev.vars` take effect in `wrangler dev`: PAGE_SIZE=2 pages the users list by two,
 *   IMPORTED_TOKENS_UNTIL lets an imported django-oauth-toolkit token in, TOKEN_MEMORY_CACHE_SECONDS=0.
 * - `npm run manage` works on the database `wrangler dev` serves while it runs: users it creates are
 *   listed, tokens it revokes are refused at once (their KV entries are gone).
 * - a wrong value in `.dev.vars` stops `npm run manage` with a message that names the setting.
 */
import assert from 'node:assert/strict'
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { projectCopy, ROOT } from './project-copy.ts'

const PORT = Number(process.env.E2E_PORT ?? 8796)
const BASE = `http://127.0.0.1:${PORT}`
const STARTUP_MS = 90_000
// The DOT 1.7 deployment's dump (test/fixtures/django/README.md): its tokens, shifted to be live.
const DUMP = join(ROOT, 'test/fixtures/django/dot-1.7')

const until = new Date(Date.now() + 30 * 86_400_000).toISOString()
const copy = projectCopy(`PAGE_SIZE=2\nIMPORTED_TOKENS_UNTIL=${until}\nTOKEN_MEMORY_CACHE_SECONDS=0\n`)
const project = copy.directory
let dev: ChildProcess | undefined

type Run = { status: number | null; stdout: string; stderr: string }

/** `npm run manage -- <args>` in the project. */
function manage(...args: string[]): Run {
  const run = spawnSync('npm', ['run', '-s', 'manage', '--', ...args], { cwd: project, encoding: 'utf8' })
  return { status: run.status, stdout: run.stdout, stderr: run.stderr }
}

/** `npm run dev` in the project until the demo block is printed; everything it printed by then. */
async function startDev(): Promise<string> {
  const child = spawn(
    'npm',
    ['run', 'dev', '--', '--ip', '127.0.0.1', '--port', String(PORT), '--show-interactive-dev-session=false'],
    {
      cwd: project,
      detached: true, // No Request.cf fetch: this machine may have no route to the Internet, and the warning each
      // failed fetch prints is no part of what a developer sees.
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', FORCE_COLOR: '0', CLOUDFLARE_CF_FETCH_ENABLED: 'false' },
    },
  )
  dev = child
  let output = ''
  child.stdout?.on('data', (chunk) => {
    output += chunk
  })
  child.stderr?.on('data', (chunk) => {
    output += chunk
  })
  const deadline = Date.now() + STARTUP_MS
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`npm run dev exited early:\n${output}`)
    // The block ends with the frame's closing rule, printed once the server answers.
    if (/^═{20,}\s*$(?![\s\S]*═{20,})/m.test(output) && /Demo data/.test(output)) {
      const lines = output.split('\n')
      const last = lines.findLastIndex((line) => /^═{20,}/.test(line))
      if (last > lines.findIndex((line) => /^═{20,}/.test(line))) return output
    }
    await new Promise((done) => setTimeout(done, 200))
  }
  throw new Error(`npm run dev printed no demo block within ${STARTUP_MS} ms:\n${output}`)
}

function stopDev(): void {
  // npm runs node, which runs wrangler, which runs workerd: end the whole group this test started.
  if (dev?.pid && dev.exitCode === null) process.kill(-dev.pid, 'SIGTERM')
  dev = undefined
}

const field = (output: string, label: string) => output.match(new RegExp(`${label}:\\s+(\\S+)`))?.[1]

async function passwordToken(clientId: string, secret: string, username: string, password: string): Promise<string> {
  const response = await fetch(`${BASE}/o/token/`, {
    method: 'POST',
    headers: { Authorization: `Basic ${btoa(`${clientId}:${secret}`)}` },
    body: new URLSearchParams({ grant_type: 'password', username, password }),
  })
  assert.equal(response.status, 200, await response.clone().text())
  return ((await response.json()) as { access_token: string }).access_token
}

const bearer = (path: string, token: string) =>
  fetch(`${BASE}${path}`, { headers: { Authorization: `Bearer ${token}` } })

let first = ''

before(async () => {
  first = await startDev()
})

after(() => {
  stopDev()
  copy.remove()
})

test('first npm run dev: a few lines of progress, then the demo credentials last and framed', () => {
  assert.doesNotMatch(first, /Missing required secrets/)
  const lines = first.trimEnd().split('\n')
  const open = lines.findIndex((line) => /^═{20,}/.test(line))
  assert.ok(open >= 0, first)
  // What comes before the block: three lines of progress and wrangler's own start-up lines (its
  // banner and bindings table), a screenful at most.
  assert.ok(open <= 40, `${open} lines before the credentials:\n${first}`)
  assert.match(lines.at(-1) ?? '', /^═{20,}/, 'the block is the last thing printed')
  for (const label of ['username', 'password', 'client_id', 'client_secret']) {
    assert.ok(field(lines.slice(open).join('\n'), label), `${label} in the block`)
  }
})

test('.dev.vars settings take effect: PAGE_SIZE=2; users made by npm run manage while wrangler dev runs', async () => {
  for (const username of ['erin', 'frank']) {
    const made = manage('createuser', '--username', username, '--password', 'plaid kettle orbit 42')
    assert.equal(made.status, 0, made.stderr)
  }
  const block = first.slice(first.indexOf('Demo data'))
  const token = await passwordToken(
    field(block, 'client_id') ?? '',
    field(block, 'client_secret') ?? '',
    field(block, 'username') ?? '',
    field(block, 'password') ?? '',
  )
  const page = await bearer('/api/users/', token)
  assert.equal(page.status, 200)
  const body = (await page.json()) as { count: number; results: unknown[]; next: string | null }
  assert.equal(body.count, 3)
  assert.equal(body.results.length, 2)
  assert.ok(body.next)

  // A revocation by the CLI deletes the token's KV entry: the running server refuses it at once.
  assert.equal((await bearer('/api/hello', token)).status, 200)
  const revoked = manage('revoketokens', '--user', 'admin')
  assert.equal(revoked.status, 0, revoked.stderr)
  assert.equal((await bearer('/api/hello', token)).status, 401)
})

test('a wrong value in .dev.vars stops npm run manage with a message naming the setting', () => {
  const devVars = join(project, '.dev.vars')
  const good = readFileSync(devVars, 'utf8')
  writeFileSync(devVars, good.replace('PAGE_SIZE=2', 'PAGE_SIZE=two'))
  try {
    const run = manage('listapplications')
    assert.equal(run.status, 1)
    assert.match(run.stderr, /PAGE_SIZE/)
  } finally {
    writeFileSync(devVars, good)
  }
})

test('npm run dev again: as short, and says the demo data exists', async () => {
  stopDev()
  const again = await startDev()
  assert.doesNotMatch(again, /Missing required secrets/)
  assert.ok(again.trimEnd().split('\n').length <= 45, again)
  assert.match(again, /already exists/)
})

test('.dev.vars IMPORTED_TOKENS_UNTIL: a token imported from django-oauth-toolkit is accepted', async () => {
  // The dump's tokens were issued in the past: shift every expiry a day ahead of now.
  const ahead = new Date(Date.now() + 86_400_000).toISOString()
  const dump = readFileSync(join(DUMP, 'dump.json'), 'utf8').replace(
    /"expires": "[^"]+"/g,
    () => `"expires": "${ahead}"`,
  )
  // Outside the project: a new file there may make wrangler dev reload while the request is made.
  const file = join(tmpdir(), `eot-dump-${process.pid}.json`)
  writeFileSync(file, dump)
  // Django's user ids are kept (the OIDC sub relying parties know): the import goes into a
  // database where nobody holds them, so the local users made above (ids 1–3) go first.
  const refused = manage('import-django', file)
  assert.equal(refused.status, 1)
  assert.match(refused.stderr, /id 1 is already "admin"'s here/)
  for (const username of ['admin', 'erin', 'frank']) {
    const deleted = manage('deleteuser', username)
    assert.equal(deleted.status, 0, deleted.stderr)
  }
  const imported = manage('import-django', file)
  rmSync(file, { force: true })
  assert.equal(imported.status, 0, imported.stderr)
  const secrets = JSON.parse(readFileSync(join(DUMP, 'secrets.json'), 'utf8')) as {
    tokens: Record<string, { access_token: string }>
  }
  const alice = Object.entries(secrets.tokens).find(([name]) => name.startsWith('alice'))?.[1].access_token
  assert.ok(alice)
  const hello = await bearer('/api/hello', alice)
  assert.equal(hello.status, 200, await hello.clone().text())
})
