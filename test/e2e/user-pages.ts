/**
 * `npm run test:e2e`: DOT's user pages in a real browser. Starts `wrangler dev` on 127.0.0.1 with
 * a throwaway local state, seeds a user, a client they will authorize and a code-grant client,
 * then drives Debian's chromium through playwright-core as a person would: log in, register an
 * application (a refused form first), see the secret once, use it in a password grant, edit the
 * application, delete it; then revoke an authorized app and see its token stop working.
 * Screenshots of each page at desktop and phone width go to E2E_SCREENSHOTS
 * (default test-results/screenshots/, not committed).
 */
import type { ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { chromium, Page } from 'playwright-core'
import { createUser } from '../../src/accounts/users.ts'
import { randomString } from '../../src/crypto/random.ts'
import { createApplication } from '../../src/oauth/applications.ts'
import { check, launchChromium, seedState, startWorker } from './harness.ts'

const PORT = Number(process.env.E2E_USER_PAGES_PORT ?? 8798)
const BASE = `http://127.0.0.1:${PORT}`
const SHOTS = resolve(process.env.E2E_SCREENSHOTS ?? 'test-results/screenshots')
const DESKTOP = { width: 1280, height: 800 }
const PHONE = { width: 390, height: 844 }

function step(message: string): void {
  console.log(`e2e user pages: ${message}`)
}

/** The page as it is now, at desktop then phone width. */
async function shoot(page: Page, name: string): Promise<void> {
  for (const [label, size] of [
    ['desktop', DESKTOP],
    ['phone', PHONE],
  ] as const) {
    await page.setViewportSize(size)
    await page.screenshot({ path: join(SHOTS, `${name}-${label}.png`), fullPage: true })
  }
  await page.setViewportSize(DESKTOP)
}

async function passwordGrant(clientId: string, clientSecret: string, username: string, password: string) {
  const response = await fetch(`${BASE}/o/token/`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'password',
      username,
      password,
      client_id: clientId,
      client_secret: clientSecret,
      scope: 'read write',
    }),
  })
  return { status: response.status, body: (await response.json()) as { access_token?: string } }
}

async function hello(token: string): Promise<number> {
  return (await fetch(`${BASE}/api/hello`, { headers: { Authorization: `Bearer ${token}` } })).status
}

const state = mkdtempSync(join(tmpdir(), 'eot-e2e-pages-'))
let server: ChildProcess | undefined
let browser: Awaited<ReturnType<typeof chromium.launch>> | undefined
try {
  mkdirSync(SHOTS, { recursive: true })
  step('applying migrations to a throwaway local D1')
  const { calendar, password, printer, user } = await seedState(state, async (db) => {
    step('seeding a user, a client they will authorize, a code-grant client')
    const password = randomString(20)
    const user = await createUser(db, { username: 'e2e-pages', password })
    const calendar = await createApplication(db, {
      name: 'Calendar Sync',
      clientType: 'confidential',
      grantTypes: ['password'],
    })
    const printer = await createApplication(db, {
      name: 'Photo Printer',
      clientType: 'public',
      grantTypes: ['authorization-code'],
      redirectUris: ['https://printer.example.com/callback'],
    })
    return { calendar, password, printer, user }
  })

  step(`starting wrangler dev on ${BASE}`)
  server = await startWorker(PORT, state)

  step('the user authorizes Calendar Sync (a password grant): a token to revoke later')
  const granted = await passwordGrant(calendar.clientId, calendar.clientSecret ?? '', user.username, password)
  check(granted.status === 200 && granted.body.access_token, `password grant answered ${granted.status}`)
  const calendarToken = granted.body.access_token
  check((await hello(calendarToken)) === 200, 'the token works')

  step('launching chromium')
  browser = await launchChromium()
  const page = await browser.newPage({ viewport: DESKTOP })

  step('landing page')
  await page.goto(`${BASE}/`)
  check((await page.title()).includes('Edge OAuth Toolkit'), 'landing page names the site')
  await shoot(page, 'landing')

  step('my applications → login page → back to my applications')
  await page.goto(`${BASE}/o/applications/`)
  check(new URL(page.url()).pathname === '/accounts/login/', `redirected to login, at ${page.url()}`)
  await shoot(page, 'login')
  await page.fill('#username', user.username)
  await page.fill('#password', password)
  await Promise.all([
    page.waitForURL((url) => url.pathname === '/o/applications/'),
    page.click('main button[type=submit]'),
  ])
  check((await page.textContent('main'))?.includes('No applications yet.'), 'an empty list')
  await shoot(page, 'applications-empty')

  step('register: a refused form keeps the input and shows the error at its field')
  await page.click('text=Register a new application')
  check(new URL(page.url()).pathname === '/o/applications/register/', 'on the register form')
  await shoot(page, 'application-register')
  await page.fill('#name', 'E2E Photo Book')
  await page.check('input[name=authorization_grant_type][value=password]')
  await page.fill('#redirect_uris', 'https://book.example.com/cb\nhttp://book.example.com/cb')
  await Promise.all([page.waitForLoadState(), page.click('main button[type=submit]')])
  check(
    (await page.textContent('main'))?.includes('Line 2: Enter an https URI'),
    'the bad redirect URI is named by its line',
  )
  check((await page.inputValue('#name')) === 'E2E Photo Book', 'the name is kept')
  await shoot(page, 'application-register-errors')
  await page.fill('#redirect_uris', 'https://book.example.com/cb')
  await Promise.all([
    page.waitForURL((url) => /^\/o\/applications\/\d+\/$/.test(url.pathname)),
    page.click('main button[type=submit]'),
  ])

  step('detail: the secret, once')
  const secret = (await page.textContent('#client-secret'))?.trim() ?? ''
  const clientId = (await page.textContent('#client-id'))?.trim() ?? ''
  check(secret.startsWith('ecs_'), 'the new secret is shown')
  await shoot(page, 'application-detail-new-secret')
  const detailUrl = page.url()
  const used = await passwordGrant(clientId, secret, user.username, password)
  check(used.status === 200, `the secret works in a password grant (${used.status})`)
  await page.reload()
  check((await page.locator('#client-secret').count()) === 0, 'a reload does not show the secret again')
  check(!(await page.content()).includes(secret), 'the secret is nowhere on the page')
  await shoot(page, 'application-detail')

  step('edit')
  await page.click('main a.button.primary')
  await shoot(page, 'application-update')
  await page.fill('#name', 'E2E Photo Book (renamed)')
  await Promise.all([page.waitForURL(detailUrl), page.click('main button[type=submit]')])
  check((await page.textContent('h1'))?.includes('E2E Photo Book (renamed)'), 'the new name is saved')

  step('rotate confirmation (not confirmed), then delete')
  await page.click('main a:has-text("Rotate secret")')
  await shoot(page, 'application-rotate-confirm')
  await page.click('text=Cancel')
  await page.click('main a.button.danger')
  check((await page.textContent('h1'))?.startsWith('Delete'), 'a confirmation page first')
  await shoot(page, 'application-delete-confirm')
  await Promise.all([page.waitForURL((url) => url.pathname === '/o/applications/'), page.click('main button.danger')])
  check(!(await page.textContent('main'))?.includes('E2E Photo Book'), 'the application is gone')
  check((await passwordGrant(clientId, secret, user.username, password)).status === 401, 'its secret is refused')

  step('authorized apps: revoke Calendar Sync')
  await page.click('nav >> text=Authorized apps')
  check((await page.textContent('main'))?.includes('Calendar Sync'), 'Calendar Sync is listed')
  await shoot(page, 'authorized-apps')
  await page.click('main a.button.danger')
  await shoot(page, 'authorized-app-revoke-confirm')
  await Promise.all([
    page.waitForURL((url) => url.pathname === '/o/authorized-tokens/'),
    page.click('main button.danger'),
  ])
  check(!(await page.textContent('main'))?.includes('Calendar Sync'), 'Calendar Sync is gone')
  check((await hello(calendarToken)) === 401, 'its token stopped working')
  await shoot(page, 'authorized-apps-empty')

  step('consent and error pages')
  const authorize = new URL('/o/authorize/', BASE)
  authorize.search = new URLSearchParams({
    response_type: 'code',
    client_id: printer.clientId,
    redirect_uri: 'https://printer.example.com/callback',
    scope: 'read write',
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    code_challenge_method: 'S256',
  }).toString()
  await page.goto(authorize.toString())
  check((await page.textContent('.host'))?.trim() === 'printer.example.com', 'the consent page shows the host')
  await shoot(page, 'consent')
  await page.goto(`${BASE}/o/authorize/?client_id=unknown&response_type=code`)
  await shoot(page, 'error-authorize')
  await page.goto(`${BASE}/o/applications/999999/`)
  check((await page.textContent('h1'))?.includes('Not found'), 'a 404 page')
  await shoot(page, 'error-not-found')
  step(`passed; screenshots in ${SHOTS}`)
} finally {
  await browser?.close()
  // wrangler dev runs in its own process group: end that group (only it).
  if (server?.pid !== undefined && server.exitCode === null) process.kill(-server.pid, 'SIGTERM')
  rmSync(state, { recursive: true, force: true })
}
