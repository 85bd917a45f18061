/**
 * `npm run test:e2e`: MCP's official conformance runner (`@modelcontextprotocol/conformance`)
 * against `wrangler dev`.
 * - `conformance authorization`: its authorization-server scenarios (every one it has) check the
 *   RFC 8414 metadata and run the authorization code grant with PKCE as a public client; the
 *   runner prints an authorization URL and waits on its own callback server, and Debian's
 *   chromium plays the person there (log in, approve on the consent page). Run twice: with
 *   `--resource <issuer>/mcp` (the RFC 8707 resource indicator an MCP client sends for this
 *   Worker's /mcp) and without. Passes when the runner exits 0 and every check it saved is SUCCESS.
 * - `conformance server --spec-version 2026-07-28`: its scenarios for the 2026-07-28 transport
 *   (stateless requests, `_meta`, server/discover, version errors, SEP-2243 headers, tools/list,
 *   caching hints) against /mcp, through a local proxy that adds a Bearer token (the runner speaks
 *   to unprotected servers only). Passes when every check is SUCCESS or SKIPPED, except the ones
 *   that need what /mcp does not have: the runner's own diagnostic tools, prompts and resources.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { Browser } from 'playwright-core'
import { createUser } from '../../src/accounts/users.ts'
import { randomString } from '../../src/crypto/random.ts'
import { createApplication } from '../../src/oauth/applications.ts'
import { check, launchChromium, seedState, startWorker } from './harness.ts'

const PORT = Number(process.env.E2E_CONFORMANCE_PORT ?? 8795)
const BASE = `http://127.0.0.1:${PORT}`
const CALLBACK_PORT = Number(process.env.E2E_CONFORMANCE_CALLBACK_PORT ?? 9912)
// The runner's callback server answers here; the client must be registered with it.
const REDIRECT_URI = `http://127.0.0.1:${CALLBACK_PORT}/callback`
// The MCP server the token is for (RFC 8707), as the runner's --resource means it: this Worker's /mcp.
const RESOURCE = `${BASE}/mcp`
const APP_NAME = 'E2E MCP conformance client'
const RUNNER = fileURLToPath(
  new URL('dist/index.js', import.meta.resolve('@modelcontextprotocol/conformance/package.json')),
)
// The runner only warns when the metadata lacks client_id_metadata_document_supported: required here.
const CIMD_CHECK = 'authorization-server-metadata-cimd'
// The token-adding proxy the server scenarios talk to.
const PROXY_PORT = Number(process.env.E2E_CONFORMANCE_PROXY_PORT ?? 8796)
const SERVER_SCENARIOS = ['server-stateless', 'http-header-validation', 'tools-list', 'caching']
/**
 * Server checks that cannot pass here: they call the runner's reference server's diagnostic tools
 * (test_missing_capability, test_streaming_elicitation, test_logging_tool) or list prompts and
 * resources, which /mcp does not offer.
 */
const NOT_APPLICABLE = new Set([
  'sep-2575-server-rejects-undeclared-capability',
  'sep-2575-missing-capability-http-400',
  'sep-2575-http-server-no-independent-requests-on-stream',
  'sep-2575-server-no-log-without-loglevel',
  'sep-2549-prompts-list-caching-hints',
  'sep-2549-resources-list-caching-hints',
  'sep-2549-resources-templates-list-caching-hints',
])
/** What the 2026-07-28 server checks must have seen succeed, so that they cannot pass by skipping. */
const SERVER_CHECKS = [
  'sep-2575-request-meta-invalid-missing-meta',
  'sep-2575-server-implements-discover',
  'sep-2575-server-identifies-in-result-meta',
  'sep-2575-server-unsupported-version-error',
  'sep-2575-http-server-header-mismatch-400',
  'sep-2575-http-server-method-not-found-404',
  'sep-2575-http-server-error-jsonrpc-id',
  'sep-2243-server-reject-error-code',
  'sep-2243-server-accepts-whitespace-header-value',
  'tools-list-deterministic-order',
  'sep-2549-tools-list-caching-hints',
]

type Check = { id: string; status: string; errorMessage?: string; details?: Record<string, unknown> }
type Person = { username: string; password: string }

function step(message: string): void {
  console.log(`e2e conformance: ${message}`)
}

/** The person at the runner's authorization URL, in a fresh browser context: log in, approve. */
async function approve(browser: Browser, person: Person, url: string): Promise<void> {
  const context = await browser.newContext()
  try {
    const page = await context.newPage()
    await page.goto(url)
    check(new URL(page.url()).pathname === '/accounts/login/', `redirected to login, at ${page.url()}`)
    await page.fill('#username', person.username)
    await page.fill('#password', person.password)
    await Promise.all([page.waitForURL((at) => at.pathname === '/o/authorize/'), page.click('button[type=submit]')])
    check((await page.content()).includes(APP_NAME), 'the consent page names the client')
    await Promise.all([page.waitForURL((at) => at.href.startsWith(REDIRECT_URI)), page.click('button[value=Approve]')])
  } finally {
    await context.close()
  }
}

/** The checks a run saved in `output`, every scenario's. */
function savedChecks(output: string): Check[] {
  return readdirSync(output).flatMap(
    (scenario) => JSON.parse(readFileSync(join(output, scenario, 'checks.json'), 'utf8')) as Check[],
  )
}

/** One run of `conformance authorization`; returns its exit code and the checks it saved. */
async function runConformance(args: string[], onAuthorizationUrl: (url: URL) => Promise<void>) {
  const output = mkdtempSync(join(tmpdir(), 'eot-conformance-'))
  try {
    const runner = spawn(
      process.execPath,
      [RUNNER, 'authorization', '--url', BASE, '--port', String(CALLBACK_PORT), '--output-dir', output, ...args],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    )
    const exited = new Promise<number | null>((resolve) => runner.on('exit', (code) => resolve(code)))
    let browsing: Promise<void> | undefined
    let failure: unknown
    for await (const line of createInterface({ input: runner.stdout })) {
      console.log(`  runner | ${line}`)
      if (browsing === undefined && line.startsWith(`${BASE}/o/authorize/?`)) {
        // A failed browser step would leave the runner waiting 5 minutes for its callback: end it.
        browsing = onAuthorizationUrl(new URL(line)).catch((error: unknown) => {
          failure = error
          runner.kill()
        })
      }
    }
    await browsing
    if (failure) throw failure
    const code = await exited
    return { code, checks: savedChecks(output) }
  } finally {
    rmSync(output, { recursive: true, force: true })
  }
}

/**
 * /mcp for a runner that sends no token: each request is passed on with `token` as its Bearer
 * token; the answer comes back as it is (its body already decoded, so without Content-Encoding).
 */
function tokenProxy(token: string): Promise<Server> {
  const proxy = createServer(async (request, response) => {
    const chunks: Buffer[] = []
    for await (const chunk of request) chunks.push(chunk as Buffer)
    const headers = new Headers({ Authorization: `Bearer ${token}` })
    for (const [name, value] of Object.entries(request.headers)) {
      if (typeof value === 'string' && !['host', 'connection', 'content-length'].includes(name))
        headers.set(name, value)
    }
    const body = request.method === 'POST' ? Buffer.concat(chunks) : undefined
    const answer = await fetch(RESOURCE, { method: request.method, headers, body })
    const passed = [...answer.headers].filter(([name]) => !['content-encoding', 'content-length'].includes(name))
    response.writeHead(answer.status, Object.fromEntries(passed))
    response.end(Buffer.from(await answer.arrayBuffer()))
  })
  return new Promise((resolve) => proxy.listen(PROXY_PORT, '127.0.0.1', () => resolve(proxy)))
}

/** `conformance server` with one 2026-07-28 scenario against /mcp behind the proxy; the checks it saved. */
async function runServerScenario(scenario: string): Promise<Check[]> {
  const output = mkdtempSync(join(tmpdir(), 'eot-conformance-server-'))
  const url = `http://127.0.0.1:${PROXY_PORT}/mcp`
  try {
    const runner = spawn(
      process.execPath,
      [RUNNER, 'server', '--url', url, '--scenario', scenario, '--spec-version', '2026-07-28', '--output-dir', output],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    )
    // Its exit code counts the not-applicable checks too; the checks decide.
    await new Promise((resolve) => runner.on('exit', resolve))
    return savedChecks(output)
  } finally {
    rmSync(output, { recursive: true, force: true })
  }
}

/** Every server check SUCCESS or SKIPPED, but for the ones /mcp cannot serve; the core ones seen succeeding. */
function expectServerChecksPassed(checks: Check[]): void {
  for (const { id, status, errorMessage } of checks) {
    const note = NOT_APPLICABLE.has(id) ? ' (not applicable here)' : ''
    console.log(`  ${status.padEnd(8)} ${id}${note}${errorMessage ? `: ${errorMessage}` : ''}`)
  }
  for (const { id, status } of checks) {
    check(status === 'SUCCESS' || status === 'SKIPPED' || NOT_APPLICABLE.has(id), `${id} is ${status}`)
  }
  for (const id of SERVER_CHECKS) {
    check(
      checks.some((item) => item.id === id && item.status === 'SUCCESS'),
      `${id} succeeded`,
    )
  }
}

/** Every check SUCCESS, the CIMD one included (the Worker runs with CLIENT_ID_METADATA_DOCUMENTS=on). */
function expectAllPassed(result: { code: number | null; checks: Check[] }): void {
  for (const { id, status, errorMessage } of result.checks) {
    console.log(`  ${status.padEnd(8)} ${id}${errorMessage ? `: ${errorMessage}` : ''}`)
  }
  check(result.code === 0, `the runner exited ${result.code}`)
  const ids = result.checks.map((item) => item.id)
  for (const id of ['authorization-server-metadata', 'authorization-code-grant']) {
    check(ids.includes(id), `the runner ran ${id}`)
  }
  check(ids.includes(CIMD_CHECK), `the runner ran ${CIMD_CHECK}`)
  for (const { id, status } of result.checks) check(status === 'SUCCESS', `${id} is ${status}`)
}

const state = mkdtempSync(join(tmpdir(), 'eot-e2e-conformance-'))
let server: ChildProcess | undefined
let browser: Browser | undefined
let proxy: Server | undefined
try {
  step('seeding two users, a public authorization-code client (redirect: the runner’s callback) and a password client')
  const { people, clientId, passwordClient } = await seedState(state, async (db) => {
    const people: Person[] = []
    for (const username of ['e2e-mcp-first', 'e2e-mcp-second']) {
      const password = randomString(20)
      await createUser(db, { username, password })
      people.push({ username, password })
    }
    const app = await createApplication(db, {
      name: APP_NAME,
      clientType: 'public',
      grantTypes: ['authorization-code'],
      redirectUris: [REDIRECT_URI],
    })
    const tokens = await createApplication(db, {
      name: 'E2E MCP server scenarios',
      clientType: 'confidential',
      grantTypes: ['password'],
    })
    return { people, clientId: app.clientId, passwordClient: tokens }
  })

  step(`starting wrangler dev on ${BASE}`)
  // As an MCP deployment sets it: the runner checks that the metadata claims CIMD support.
  server = await startWorker(PORT, state, { CLIENT_ID_METADATA_DOCUMENTS: 'on' })
  browser = await launchChromium()
  const chromium = browser

  step(`runner with --resource ${RESOURCE}; the first user approves`)
  const withResource = await runConformance(['--client-id', clientId, '--resource', RESOURCE], async (url) => {
    check(url.searchParams.get('resource') === RESOURCE, 'the runner sends the resource indicator')
    await approve(chromium, people[0], url.href)
  })
  expectAllPassed(withResource)

  step('runner without --resource; the second user approves')
  const plain = await runConformance(['--client-id', clientId], async (url) => {
    check(!url.searchParams.has('resource'), 'no resource indicator this time')
    await approve(chromium, people[1], url.href)
  })
  expectAllPassed(plain)

  step('server scenarios of 2026-07-28 against /mcp, with a read write token for it')
  const issued = await fetch(`${BASE}/o/token/`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'password',
      username: people[0].username,
      password: people[0].password,
      client_id: passwordClient.clientId,
      client_secret: passwordClient.clientSecret ?? '',
      scope: 'read write',
      resource: RESOURCE,
    }),
  })
  check(issued.ok, `a token for /mcp (${issued.status})`)
  proxy = await tokenProxy(((await issued.json()) as { access_token: string }).access_token)
  const serverChecks: Check[] = []
  for (const scenario of SERVER_SCENARIOS) serverChecks.push(...(await runServerScenario(scenario)))
  expectServerChecksPassed(serverChecks)
  step('passed')
} finally {
  proxy?.close()
  await browser?.close()
  // wrangler dev runs in its own process group: end that group (only it).
  if (server?.pid !== undefined && server.exitCode === null) process.kill(-server.pid, 'SIGTERM')
  rmSync(state, { recursive: true, force: true })
}
