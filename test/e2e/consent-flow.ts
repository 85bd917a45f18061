/**
 * `npm run test:e2e`: the authorization code flow in a real browser. Starts `wrangler dev` on
 * 127.0.0.1 with a throwaway local state, seeds a user and a public client, then drives
 * Debian's chromium through playwright-core: log in, see the consent page, approve, land on the
 * redirect with a code, exchange it with PKCE, call /api/hello.
 */
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { chromium } from 'playwright-core'
import { createUser } from '../../src/accounts/users.ts'
import { randomString } from '../../src/crypto/random.ts'
import { createApplication } from '../../src/oauth/applications.ts'
import { check, launchChromium, seedState, startWorker } from './harness.ts'

const PORT = Number(process.env.E2E_PORT ?? 8797)
const BASE = `http://127.0.0.1:${PORT}`
const CALLBACK_PORT = Number(process.env.E2E_CALLBACK_PORT ?? 9911)
// The client's redirection endpoint: a tiny server in this process records where the browser lands.
// (Playwright's page.route does not see redirected navigations, so it cannot stand in for it.)
const REDIRECT_URI = `http://127.0.0.1:${CALLBACK_PORT}/callback`
const APP_NAME = 'E2E Photo Printer'

function step(message: string): void {
  console.log(`e2e: ${message}`)
}

async function pkcePair() {
  const verifier = randomString(64)
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)))
  return { verifier, challenge: Buffer.from(digest).toString('base64url') }
}

const state = mkdtempSync(join(tmpdir(), 'eot-e2e-'))
let server: ChildProcess | undefined
let browser: Awaited<ReturnType<typeof chromium.launch>> | undefined
let landed: URL | undefined
const callback = createServer((request, response) => {
  const url = new URL(request.url ?? '/', REDIRECT_URI)
  // Only the redirect counts, not the browser's follow-up favicon request.
  if (url.pathname === '/callback') landed = url
  response.writeHead(200, { 'Content-Type': 'text/plain' }).end('client callback')
})
try {
  await new Promise<void>((resolve) => callback.listen(CALLBACK_PORT, '127.0.0.1', resolve))
  step('applying migrations to a throwaway local D1')
  const { app, password, user } = await seedState(state, async (db) => {
    step('seeding a user and a public authorization-code client')
    const password = randomString(20)
    const user = await createUser(db, { username: 'e2e-user', password })
    const app = await createApplication(db, {
      name: APP_NAME,
      clientType: 'public',
      grantTypes: ['authorization-code'],
      redirectUris: [REDIRECT_URI],
      userId: user.id,
    })
    return { app, password, user }
  })

  step(`starting wrangler dev on ${BASE}`)
  server = await startWorker(PORT, state)

  step('launching chromium')
  browser = await launchChromium()
  const page = await browser.newPage()

  const pkce = await pkcePair()
  const authorize = new URL('/o/authorize/', BASE)
  authorize.search = new URLSearchParams({
    response_type: 'code',
    client_id: app.clientId,
    redirect_uri: REDIRECT_URI,
    scope: 'read write',
    state: 'e2e-state',
    code_challenge: pkce.challenge,
    code_challenge_method: 'S256',
  }).toString()

  step('opening /o/authorize/ → login page')
  await page.goto(authorize.toString())
  check(new URL(page.url()).pathname === '/accounts/login/', `redirected to login, at ${page.url()}`)
  await page.fill('#username', user.username)
  await page.fill('#password', password)
  await Promise.all([page.waitForURL((url) => url.pathname === '/o/authorize/'), page.click('button[type=submit]')])

  step('consent page')
  const consent = await page.content()
  check(consent.includes(APP_NAME), 'consent page names the application')
  check(consent.includes('Read scope') && consent.includes('Write scope'), 'consent page describes each scope')
  const cookies = await page.context().cookies()
  const session = cookies.find((cookie) => cookie.name === 'eot_session')
  check(session?.httpOnly && session.sameSite === 'Lax', 'session cookie is HttpOnly and SameSite=Lax')

  step('approving')
  await Promise.all([page.waitForURL((url) => url.href.startsWith(REDIRECT_URI)), page.click('button[value=Approve]')])
  check(landed, 'landed on the redirect_uri')
  const code = landed.searchParams.get('code') ?? ''
  check(code.startsWith('eac_'), 'redirect carries a code')
  check(landed.searchParams.get('state') === 'e2e-state', 'redirect carries the state')

  step('exchanging the code with the PKCE verifier')
  const tokenResponse = await fetch(`${BASE}/o/token/`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT_URI,
      client_id: app.clientId,
      code_verifier: pkce.verifier,
    }),
  })
  check(tokenResponse.status === 200, `token endpoint answered ${tokenResponse.status}`)
  const tokens = (await tokenResponse.json()) as { access_token: string; scope: string }
  check(tokens.scope === 'read write', 'granted the approved scopes')

  step('calling /api/hello')
  const hello = await fetch(`${BASE}/api/hello`, { headers: { Authorization: `Bearer ${tokens.access_token}` } })
  const text = await hello.text()
  check(hello.status === 200 && text === 'Hello, OAuth2!', `hello answered ${hello.status} ${text}`)
  step('passed')
} finally {
  await browser?.close()
  callback.close()
  // wrangler dev runs in its own process group: end that group (only it).
  if (server?.pid !== undefined && server.exitCode === null) process.kill(-server.pid, 'SIGTERM')
  rmSync(state, { recursive: true, force: true })
}
