/**
 * @module
 * Browser test of /docs (`npm run test:e2e`, not part of `npm test`): Debian's chromium, driven by
 * playwright-core, opens Swagger UI served by `wrangler dev` (its files from the `[assets]`
 * directory, filled by scripts/docs-assets.ts), authorizes with the OAuth2 password flow and the
 * demo credentials, and calls /api/hello from the page. Any request to another origin fails the
 * test, as does a CSP violation or a credential left in the browser's storage.
 */
import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import { type DemoCredentials, seedDemo } from '../../scripts/demo.ts'
import { copyDocsAssets } from '../../scripts/docs-assets.ts'
import { CHROMIUM, launchChromium, seedState, withoutDevVars } from './harness.ts'

const PORT = Number(process.env.E2E_PORT ?? 8797)
const BASE = `http://127.0.0.1:${PORT}`
const STARTUP_MS = 60_000

const state = mkdtempSync(join(tmpdir(), 'eot-e2e-'))
let server: ChildProcess | undefined
let browser: Browser | undefined
// Fresh demo data: every credential was just printed.
let demo: { [K in keyof DemoCredentials]: NonNullable<DemoCredentials[K]> }

async function waitForServer(): Promise<void> {
  const deadline = Date.now() + STARTUP_MS
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${BASE}/healthz`)).ok) return
    } catch {
      // not listening yet
    }
    await new Promise((done) => setTimeout(done, 250))
  }
  throw new Error(`wrangler dev did not answer on ${BASE} within ${STARTUP_MS} ms`)
}

before(async () => {
  assert.ok(existsSync(CHROMIUM), `no chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`)
  const seeded = await seedState(state, seedDemo)
  assert.ok(
    seeded?.password && seeded.clientSecret && seeded.serviceClientSecret,
    'a fresh state directory must get fresh demo data',
  )
  demo = {
    ...seeded,
    password: seeded.password,
    clientSecret: seeded.clientSecret,
    serviceClientSecret: seeded.serviceClientSecret,
  }
  copyDocsAssets()
  server = spawn(
    'npx',
    [
      'wrangler',
      'dev',
      '--port',
      String(PORT),
      '--ip',
      '127.0.0.1',
      '--persist-to',
      state,
      ...withoutDevVars(state),
      '--var',
      'SECRET_KEY:e2e',
    ],
    { stdio: 'ignore', detached: true, env: { ...process.env, WRANGLER_SEND_METRICS: 'false' } },
  )
  await waitForServer()
  browser = await launchChromium()
})

after(async () => {
  await browser?.close()
  // wrangler dev runs workerd as a child: end the whole process group this test started.
  if (server?.pid) process.kill(-server.pid, 'SIGTERM')
  rmSync(state, { recursive: true, force: true })
})

/**
 * A page on which every request to another origin is refused and recorded, `blocked` requests of
 * this origin fail too, and CSP violations are recorded.
 */
async function docsPage(blocked?: RegExp): Promise<{ page: Page; refused: string[]; violations: string[] }> {
  assert.ok(browser)
  const page = await browser.newPage()
  const refused: string[] = []
  await page.route('**/*', async (route) => {
    const url = route.request().url()
    if (!url.startsWith(`${BASE}/`)) refused.push(url)
    else if (!blocked?.test(new URL(url).pathname)) return route.continue()
    return route.abort()
  })
  const violations: string[] = []
  await page.exposeFunction('reportViolation', (violation: string) => violations.push(violation))
  // As a string: this file is type-checked without the DOM library.
  await page.addInitScript({
    content: `document.addEventListener('securitypolicyviolation', (event) =>
      window.reportViolation(event.violatedDirective + ' ' + event.blockedURI))`,
  })
  return { page, refused, violations }
}

/** Every key and value in localStorage and sessionStorage, and the page's cookies. */
function browserStorage(page: Page): Promise<string> {
  return page.evaluate(`[localStorage, sessionStorage]
    .flatMap((storage) => Object.entries(storage).map(([key, value]) => key + '=' + value))
    .concat(document.cookie ? [document.cookie] : [])
    .join('\\n')`)
}

test('/docs: authorize with the OAuth2 password flow, then GET /api/hello; nothing from another origin, nothing stored', async () => {
  const { page, refused, violations } = await docsPage()
  // What the earlier page (persistAuthorization: true) left behind must be removed.
  await page.goto(`${BASE}/healthz`)
  await page.evaluate(`localStorage.setItem('authorized', '{"oauth2":{"password":"left-behind"}}')`)
  await page.goto(`${BASE}/docs`)
  await page.locator('#swagger-ui .information-container').waitFor()
  assert.equal(await page.locator('#docs-status').count(), 0, 'the loading message is removed once Swagger UI runs')
  assert.equal(await browserStorage(page), '')

  await page.locator('.btn.authorize').first().click()
  const oauth2 = page.locator('.auth-container', { has: page.locator('#oauth_username') })
  await oauth2.waitFor()
  // The dialog opens at its top, on the password flow (every scheme's input asks for focus; the
  // last one, client Basic, used to win and scroll the dialog down to it).
  assert.deepEqual(
    await page.evaluate(`(() => {
      const content = document.querySelector('.dialog-ux .modal-ux-content')
      const box = content.getBoundingClientRect()
      const field = document.getElementById('oauth_username').getBoundingClientRect()
      return { focused: document.activeElement?.id, top: content.scrollTop, visible: field.top >= box.top && field.bottom <= box.bottom }
    })()`),
    { focused: 'oauth_username', top: 0, visible: true },
  )
  await oauth2.locator('#oauth_username').fill(demo.username)
  await oauth2.locator('#oauth_password').fill(demo.password)
  await oauth2.locator('#client_id_password').fill(demo.clientId)
  await oauth2.locator('#client_secret_password').fill(demo.clientSecret)
  await oauth2.locator('button.authorize').click()
  // Once authorized, the form gives way to a Logout button.
  await page.locator('.auth-container button', { hasText: 'Logout' }).waitFor()
  await page.locator('.btn-done, .close-modal').first().click()

  const hello = page.locator('.opblock', { has: page.locator('[data-path="/api/hello"]') })
  await hello.locator('.opblock-summary').first().click()
  await hello.locator('.try-out__btn').click()
  await hello.locator('.execute').click()
  const body = hello.locator('.live-responses-table .response-col_description pre').first()
  await body.waitFor()
  assert.match((await body.textContent()) ?? '', /Hello, OAuth2!/)
  const status = await hello.locator('.live-responses-table tr.response .response-col_status').first().textContent()
  assert.equal(status?.trim(), '200')

  // Authorized and used: still no credential (nor anything else) in the browser's storage.
  const stored = await browserStorage(page)
  for (const secret of [demo.username, demo.password, demo.clientSecret, 'eat_', 'access_token']) {
    assert.ok(!stored.includes(secret), `browser storage holds ${secret}`)
  }
  assert.equal(stored, '')
  await page.reload()
  await page.locator('#swagger-ui .information-container').waitFor()
  assert.equal(await page.locator('.auth-container button', { hasText: 'Logout' }).count(), 0)
  assert.deepEqual(refused, [])
  assert.deepEqual(violations, [])
  await page.close()
})

test('/docs: a readable message, pointing to /openapi.json, when the Swagger UI files cannot load', async () => {
  const { page, refused } = await docsPage(/^\/docs\/swagger-ui\//)
  await page.goto(`${BASE}/docs`)
  const message = page.locator('#docs-status')
  await page.waitForLoadState('load')
  assert.ok(await message.isVisible())
  assert.match(
    (await message.textContent()) ?? '',
    /Swagger UI files could not be loaded; \/openapi\.json is the document itself/,
  )
  assert.equal(await message.locator('a').getAttribute('href'), '/openapi.json')
  assert.deepEqual(refused, [])
  await page.close()
})

test('/docs headers under wrangler dev: CSP on the page; the static files typed, nosniff; nothing else published', async () => {
  const docs = await fetch(`${BASE}/docs`)
  const csp = docs.headers.get('Content-Security-Policy') ?? ''
  assert.match(csp, /script-src 'self'(;|$)/)
  assert.match(csp, /frame-ancestors 'none'/)
  assert.equal(docs.headers.get('X-Frame-Options'), 'DENY')
  for (const [path, type] of [
    ['/docs/swagger-ui/swagger-ui-bundle.js', /^text\/javascript/],
    ['/docs/swagger-ui/swagger-ui.css', /^text\/css/],
    ['/docs/swagger-init.js', /^text\/javascript/],
  ] as const) {
    const response = await fetch(`${BASE}${path}`)
    assert.equal(response.status, 200, path)
    assert.match(response.headers.get('Content-Type') ?? '', type, path)
    assert.equal(response.headers.get('X-Content-Type-Options'), 'nosniff', path)
    await response.arrayBuffer()
  }
  // Only the copied files are assets: swagger-ui-dist's other files and the _headers file are not.
  for (const path of [
    '/_headers',
    '/docs/swagger-ui/index.html',
    '/docs/swagger-ui/package.json',
    '/swagger-ui-bundle.js',
  ]) {
    const response = await fetch(`${BASE}${path}`)
    assert.equal(response.status, 404, path)
    await response.arrayBuffer()
  }
})
