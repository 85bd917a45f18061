/**
 * `npm run test:e2e`: MCP's official conformance runner (`@modelcontextprotocol/conformance`,
 * `conformance authorization`) against `wrangler dev`. Its authorization-server scenarios check the
 * RFC 8414 metadata and run the authorization code grant with PKCE as a public client; the
 * runner prints an authorization URL and waits on its own callback server, and Debian's chromium
 * plays the person there (log in, approve on the consent page). Run twice: with `--resource
 * <issuer>/mcp` (the RFC 8707 resource indicator an MCP client sends for this Worker's /mcp) and
 * without. Passes when the runner exits 0 and every check it saved is SUCCESS.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
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
    const checks = readdirSync(output).flatMap(
      (scenario) => JSON.parse(readFileSync(join(output, scenario, 'checks.json'), 'utf8')) as Check[],
    )
    return { code, checks }
  } finally {
    rmSync(output, { recursive: true, force: true })
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
try {
  step('seeding two users and a public authorization-code client (redirect: the runner’s callback)')
  const { people, clientId } = await seedState(state, async (db) => {
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
    return { people, clientId: app.clientId }
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
  step('passed')
} finally {
  await browser?.close()
  // wrangler dev runs in its own process group: end that group (only it).
  if (server?.pid !== undefined && server.exitCode === null) process.kill(-server.pid, 'SIGTERM')
  rmSync(state, { recursive: true, force: true })
}
