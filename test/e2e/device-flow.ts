/**
 * `npm run test:e2e`: the device authorization grant (RFC 8628) in a real browser. Starts
 * `wrangler dev` on 127.0.0.1 with a throwaway local state, seeds a user and a public device
 * client, then plays the device (plain fetch: device authorization, polling) and the user
 * (Debian's chromium through playwright-core): open verification_uri_complete, log in, find the
 * code prefilled, continue, see the client and its scopes, approve — the device's next poll gets
 * tokens that call /api/hello. A second request, on a phone-sized screen, is denied and the
 * device is told access_denied. With E2E_SHOTS_DIR set, each page is saved there (desktop, phone).
 */
import type { ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { createUser } from '../../src/accounts/users.ts'
import { randomString } from '../../src/crypto/random.ts'
import { DEVICE_CODE_GRANT } from '../../src/db/schema.ts'
import { createApplication } from '../../src/oauth/applications.ts'
import { check, launchChromium, seedState, startWorker } from './harness.ts'

const PORT = Number(process.env.E2E_DEVICE_PORT ?? 8798)
const BASE = `http://127.0.0.1:${PORT}`
const SHOTS = process.env.E2E_SHOTS_DIR
const APP_NAME = 'E2E Living Room TV'
const SCREENS = {
  desktop: { viewport: { width: 1280, height: 800 } },
  phone: { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true },
} as const

type DeviceAuthorization = {
  device_code: string
  user_code: string
  verification_uri: string
  verification_uri_complete: string
  expires_in: number
  interval: number
}

function step(message: string): void {
  console.log(`e2e device: ${message}`)
}

function post(path: string, values: Record<string, string>): Promise<Response> {
  return fetch(`${BASE}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(values),
  })
}

/** The device's poll, after waiting the interval it was given (RFC 8628 §3.5). */
async function poll(clientId: string, device: DeviceAuthorization) {
  await new Promise((resolve) => setTimeout(resolve, device.interval * 1000))
  const response = await post('/o/token/', {
    grant_type: DEVICE_CODE_GRANT,
    device_code: device.device_code,
    client_id: clientId,
  })
  return { status: response.status, body: (await response.json()) as Record<string, string> }
}

async function shot(page: Page, screen: keyof typeof SCREENS, name: string): Promise<void> {
  if (!SHOTS) return
  await page.screenshot({ path: join(SHOTS, `${name}-${screen}.png`), fullPage: true })
}

/** The user's side in a fresh browser context: from verification_uri_complete to the confirmation page. */
async function openConfirmation(
  browser: Browser,
  screen: keyof typeof SCREENS,
  device: DeviceAuthorization,
  user: { username: string; password: string },
): Promise<Page> {
  const context = await browser.newContext(SCREENS[screen])
  const page = await context.newPage()
  await page.goto(device.verification_uri_complete)
  check(new URL(page.url()).pathname === '/accounts/login/', `redirected to login, at ${page.url()}`)
  await page.fill('#username', user.username)
  await page.fill('#password', user.password)
  await Promise.all([page.waitForURL((url) => url.pathname === '/o/device/'), page.click('button[type=submit]')])
  const prefilled = await page.inputValue('#user_code')
  check(prefilled === device.user_code, `the code is prefilled (${prefilled})`)
  await shot(page, screen, '1-enter-code')
  await Promise.all([page.waitForLoadState('load'), page.click('button.primary')])
  const confirm = await page.content()
  check(confirm.includes(APP_NAME), 'the confirmation names the client')
  check(confirm.includes(device.user_code), 'the confirmation repeats the code')
  check(confirm.includes('Read scope'), 'the confirmation describes the scopes')
  await shot(page, screen, '2-confirm')
  return page
}

const state = mkdtempSync(join(tmpdir(), 'eot-e2e-device-'))
let server: ChildProcess | undefined
let browser: Browser | undefined
try {
  if (SHOTS) mkdirSync(SHOTS, { recursive: true })
  step('applying migrations to a throwaway local D1')
  const { app, password, user } = await seedState(state, async (db) => {
    step('seeding a user and a public device client')
    const password = randomString(20)
    const user = await createUser(db, { username: 'e2e-device-user', password })
    const app = await createApplication(db, { name: APP_NAME, clientType: 'public', grantTypes: [DEVICE_CODE_GRANT] })
    return { app, password, user }
  })

  step(`starting wrangler dev on ${BASE}`)
  server = await startWorker(PORT, state)

  step('the device asks for a code')
  const started = await post('/o/device-authorization/', { client_id: app.clientId, scope: 'read write' })
  check(started.status === 200, `device authorization answered ${started.status}`)
  const device = (await started.json()) as DeviceAuthorization
  check(device.verification_uri === `${BASE}/o/device/`, `verification_uri ${device.verification_uri}`)
  const pending = await poll(app.clientId, device)
  check(pending.body.error === 'authorization_pending', `first poll: ${JSON.stringify(pending.body)}`)

  step('launching chromium; the user approves on a desktop screen')
  browser = await launchChromium()
  const desktop = await openConfirmation(browser, 'desktop', device, { username: user.username, password })
  await Promise.all([desktop.waitForLoadState('load'), desktop.click('button[value=approve]')])
  check((await desktop.content()).includes('Device connected'), 'the page confirms the approval')
  await shot(desktop, 'desktop', '3-approved')

  step('the device polls and gets tokens')
  const approved = await poll(app.clientId, device)
  check(approved.status === 200, `poll after approval: ${approved.status} ${JSON.stringify(approved.body)}`)
  check(approved.body.scope === 'read write', 'granted the approved scopes')
  const hello = await fetch(`${BASE}/api/hello`, { headers: { Authorization: `Bearer ${approved.body.access_token}` } })
  const text = await hello.text()
  check(hello.status === 200 && text === 'Hello, OAuth2!', `hello answered ${hello.status} ${text}`)
  const again = await poll(app.clientId, device)
  check(again.body.error === 'invalid_grant', 'a spent device code is refused')

  step('a second device; the user denies on a phone screen')
  const second = (await (
    await post('/o/device-authorization/', { client_id: app.clientId, scope: 'read' })
  ).json()) as DeviceAuthorization
  const phone = await openConfirmation(browser, 'phone', second, { username: user.username, password })
  await Promise.all([phone.waitForLoadState('load'), phone.click('button[value=deny]')])
  check((await phone.content()).includes('Request denied'), 'the page confirms the denial')
  await shot(phone, 'phone', '3-denied')
  const denied = await poll(app.clientId, second)
  check(denied.body.error === 'access_denied', `poll after denial: ${JSON.stringify(denied.body)}`)

  if (SHOTS) {
    step('one more screenshot: a wrong code (desktop)')
    const wrong = await browser.newPage({ ...SCREENS.desktop })
    await wrong.goto(`${BASE}/accounts/login/?next=/o/device/`)
    await wrong.fill('#username', user.username)
    await wrong.fill('#password', password)
    await Promise.all([wrong.waitForURL((url) => url.pathname === '/o/device/'), wrong.click('button[type=submit]')])
    await wrong.fill('#user_code', 'BCDF-GHJK')
    await Promise.all([wrong.waitForLoadState('load'), wrong.click('button.primary')])
    await shot(wrong, 'desktop', '4-wrong-code')
  }
  step('passed')
} finally {
  await browser?.close()
  // wrangler dev runs in its own process group: end that group (only it).
  if (server?.pid !== undefined && server.exitCode === null) process.kill(-server.pid, 'SIGTERM')
  rmSync(state, { recursive: true, force: true })
}
