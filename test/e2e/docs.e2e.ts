/**
 * @module
 * Browser test of /docs (`npm run test:e2e`, not part of `npm test`): Debian's chromium, driven by
 * playwright-core, opens Swagger UI served by `wrangler dev`, authorizes with the OAuth2 password
 * flow and the demo credentials, and calls /api/hello from the page. Swagger UI's assets, which the
 * page loads from the jsDelivr CDN, are answered from the installed swagger-ui-dist package and every
 * other outside request is refused, so the test runs without network.
 */
import assert from 'node:assert/strict'
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join, resolve } from 'node:path'
import { after, before, test } from 'node:test'
import { type Browser, chromium } from 'playwright-core'
import { getPlatformProxy } from 'wrangler'
import { type DemoCredentials, seedDemo } from '../../src/cli/demo.ts'
import { getDb } from '../../src/db/client.ts'

const PORT = Number(process.env.E2E_PORT ?? 8797)
const BASE = `http://127.0.0.1:${PORT}`
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const SWAGGER_UI_DIST = resolve('node_modules/swagger-ui-dist')
const CDN = 'https://cdn.jsdelivr.net/npm/swagger-ui-dist'
const STARTUP_MS = 60_000

const state = mkdtempSync(join(tmpdir(), 'eot-e2e-'))
let server: ChildProcess | undefined
let browser: Browser | undefined
let demo: DemoCredentials

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
  const migrate = spawnSync('npx', ['wrangler', 'd1', 'migrations', 'apply', 'DB', '--local', '--persist-to', state], {
    stdio: 'inherit',
  })
  assert.equal(migrate.status, 0, 'migrations failed')
  const proxy = await getPlatformProxy<Env>({ configPath: 'wrangler.toml', persist: { path: join(state, 'v3') } })
  const seeded = await seedDemo(getDb(proxy.env.DB))
  await proxy.dispose()
  assert.ok(seeded, 'a fresh state directory must get fresh demo data')
  demo = seeded
  server = spawn(
    'npx',
    ['wrangler', 'dev', '--port', String(PORT), '--ip', '127.0.0.1', '--persist-to', state, '--var', 'SECRET_KEY:e2e'],
    { stdio: 'ignore', detached: true, env: { ...process.env, WRANGLER_SEND_METRICS: 'false' } },
  )
  await waitForServer()
  browser = await chromium.launch({ executablePath: CHROMIUM })
})

after(async () => {
  await browser?.close()
  // wrangler dev runs workerd as a child: end the whole process group this test started.
  if (server?.pid) process.kill(-server.pid, 'SIGTERM')
  rmSync(state, { recursive: true, force: true })
})

test('/docs: authorize with the OAuth2 password flow, then GET /api/hello from the page', async () => {
  assert.ok(browser)
  const page = await browser.newPage()
  const refused: string[] = []
  await page.route('**/*', async (route) => {
    const url = route.request().url()
    if (url.startsWith(BASE)) return route.continue()
    if (url.startsWith(CDN)) return route.fulfill({ path: join(SWAGGER_UI_DIST, basename(new URL(url).pathname)) })
    refused.push(url)
    return route.abort()
  })
  await page.goto(`${BASE}/docs`)
  await page.locator('.btn.authorize').first().click()

  const oauth2 = page.locator('.auth-container', { has: page.locator('#oauth_username') })
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
  assert.deepEqual(refused, [])
})
