/**
 * `npm run test:e2e`: the operator console in a real browser. Starts `wrangler dev` on 127.0.0.1
 * with a throwaway local state, seeds a superuser, a user with a token and a confidential
 * client, then drives Debian's chromium through playwright-core as an operator would: log in,
 * find the user, sort the users, change the user's details (a refused email first), deactivate
 * them (their token stops working), change their password, find their token in the token list
 * (filtered, sorted, a refused filter), rotate the client's secret (the old one stops working,
 * the new one works), read the audit log (no word broken across lines at desktop width); then
 * give the client a key it authenticates with (private_key_jwt), require PAR of it, trust an
 * identity provider and remove it, and add an ID-JAG exchange rule (each form's errors first).
 * Every console page is screenshotted at desktop and phone width into E2E_SHOTS_DIR (default:
 * a temporary directory; the screenshots are not committed), and no table may be wider than the
 * page's column at either width.
 */
import type { ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { exportJWK, generateKeyPair, SignJWT } from 'jose'
import type { chromium, Page } from 'playwright-core'
import { createUser } from '../../src/accounts/users.ts'
import { randomString } from '../../src/crypto/random.ts'
import { createApplication } from '../../src/oauth/applications.ts'
import { check, launchChromium, seedState, startWorker } from './harness.ts'

const PORT = Number(process.env.E2E_ADMIN_PORT ?? 8796)
const BASE = `http://127.0.0.1:${PORT}`
const SHOTS = process.env.E2E_SHOTS_DIR ?? join(tmpdir(), 'eot-shots', 'admin')
const DESKTOP = { width: 1280, height: 900 }
const PHONE = { width: 390, height: 844 }

function step(message: string): void {
  console.log(`e2e admin: ${message}`)
}

/** Every table of the page inside its column (no table wider than <main>: long strings break). */
async function tablesFit(page: Page, name: string): Promise<void> {
  const overflowing = (await page.evaluate(`(() => {
    const main = document.querySelector('main').getBoundingClientRect()
    return [...document.querySelectorAll('table')].filter((table) => table.getBoundingClientRect().right > main.right + 1).length
  })()`)) as number
  check(overflowing === 0, `${name}: ${overflowing} table(s) wider than the page's column`)
}

/** The page as it is now, at desktop and at phone width. */
async function shoot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}-desktop.png`), fullPage: true })
  await tablesFit(page, `${name} (desktop)`)
  await page.setViewportSize(PHONE)
  await page.screenshot({ path: join(SHOTS, `${name}-phone.png`), fullPage: true })
  await tablesFit(page, `${name} (phone)`)
  await page.setViewportSize(DESKTOP)
}

function token(body: Record<string, string>) {
  return fetch(`${BASE}/o/token/`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(body),
  })
}

const state = mkdtempSync(join(tmpdir(), 'eot-e2e-admin-'))
let server: ChildProcess | undefined
let browser: Awaited<ReturnType<typeof chromium.launch>> | undefined
try {
  mkdirSync(SHOTS, { recursive: true })
  step('applying migrations to a throwaway local D1')
  const { app, operator, operatorPassword, user, userPassword } = await seedState(state, async (db) => {
    step('seeding an operator, a user and a confidential client')
    const operatorPassword = randomString(20)
    const operator = await createUser(db, {
      username: 'e2e-operator',
      password: operatorPassword,
      isStaff: true,
      isSuperuser: true,
    })
    const userPassword = randomString(20)
    const user = await createUser(db, {
      username: 'e2e-customer',
      email: 'customer@example.com',
      password: userPassword,
    })
    for (let index = 0; index < 3; index++) {
      await createUser(db, {
        username: `e2e-other-${index}`,
        email: `other${index}@example.com`,
        password: userPassword,
      })
    }
    const app = await createApplication(db, {
      name: 'E2E Billing Service',
      clientType: 'confidential',
      grantTypes: ['password', 'client-credentials'],
      userId: user.id,
    })
    return { app, operator, operatorPassword, user, userPassword }
  })
  const oldSecret = app.clientSecret ?? ''

  step(`starting wrangler dev on ${BASE}`)
  server = await startWorker(PORT, state)

  step("the user's client gets a token")
  const issued = await token({
    grant_type: 'password',
    username: user.username,
    password: userPassword,
    client_id: app.clientId,
    client_secret: oldSecret,
  })
  check(issued.status === 200, `password grant answered ${issued.status}`)
  const { access_token: userToken } = (await issued.json()) as { access_token: string }
  const hello = (bearer: string) => fetch(`${BASE}/api/hello`, { headers: { Authorization: `Bearer ${bearer}` } })
  check((await hello(userToken)).status === 200, 'the token works before')

  step('launching chromium')
  browser = await launchChromium()
  const page = await browser.newPage({ viewport: DESKTOP })

  step('opening /admin/ → login page → the console')
  await page.goto(`${BASE}/admin/`)
  check(new URL(page.url()).pathname === '/accounts/login/', `redirected to login, at ${page.url()}`)
  await page.fill('#username', operator.username)
  await page.fill('#password', operatorPassword)
  await Promise.all([page.waitForURL((url) => url.pathname === '/admin/'), page.click('button[type=submit]')])
  await shoot(page, '01-home')

  step('finding the user')
  await Promise.all([page.waitForURL(`${BASE}/admin/users/`), page.click('nav >> text=Users')])
  await shoot(page, '02-users')
  // Sorted by username by default; the Email header sorts by email, then descending.
  const usernames = () => page.locator('td[data-label="Username"]').allTextContents()
  const byUsername = await usernames()
  check(byUsername.join() === [...byUsername].sort().join(), `sorted by username: ${byUsername}`)
  await Promise.all([page.waitForURL(/o=email/), page.click('th a:has-text("Email")')])
  await Promise.all([page.waitForURL(/o=-email/), page.click('th a:has-text("Email")')])
  const emails = await page.locator('td[data-label="Email"]').allTextContents()
  check(emails.join() === [...emails].sort().reverse().join(), `sorted by email, descending: ${emails}`)
  check((await page.getAttribute('th[aria-sort]', 'aria-sort')) === 'descending', 'the header says so')
  await shoot(page, '02a-users-by-email')
  await page.goto(`${BASE}/admin/users/`)
  await page.fill('#q', 'CUSTOMER')
  await Promise.all([
    page.waitForURL((url) => url.searchParams.get('q') === 'CUSTOMER'),
    page.click('button:has-text("Search")'),
  ])
  check((await page.content()).includes('1 user<'), 'the search found one user')
  await shoot(page, '03-users-search')
  await Promise.all([page.waitForURL(`${BASE}/admin/users/${user.id}/`), page.click(`text=${user.username}`)])
  const detail = await page.content()
  check(detail.includes('E2E Billing Service'), 'the detail lists the user’s application')
  check(detail.includes('eat_…') && !detail.includes(userToken), 'the detail lists the token, never its value')
  await shoot(page, '04-user-detail')

  step("changing the user's details: a refused email, then names and email")
  await Promise.all([page.waitForURL(/\/change\/$/), page.click('a:text-is("Change")')])
  await shoot(page, '04a-user-change')
  await page.fill('#email', 'customer@nodot')
  await page.fill('#first_name', 'Grace')
  await page.fill('#last_name', 'Hopper')
  await page.click('button:has-text("Save")')
  const changeRefused = await page.content()
  check(changeRefused.includes('Enter a valid email address'), 'the email error is shown')
  check(changeRefused.includes('value="Hopper"'), 'the input is kept')
  await shoot(page, '04b-user-change-errors')
  await page.fill('#email', 'grace@example.com')
  await Promise.all([page.waitForURL(/notice=changed/), page.click('button:has-text("Save")')])
  check((await page.content()).includes('Grace Hopper'), 'the new name is shown')
  check((await hello(userToken)).status === 200, 'a change of details leaves the token working')

  step("the token list: the user's token, filtered and sorted; a refused filter")
  await Promise.all([page.waitForURL(`${BASE}/admin/tokens/`), page.click('nav >> text=Tokens')])
  await page.fill('#user', user.username)
  await page.selectOption('#state', 'live')
  await Promise.all([page.waitForURL(/user=e2e-customer/), page.click('button:has-text("Filter")')])
  const tokens = await page.content()
  check(tokens.includes('1 live access token<') && !tokens.includes(userToken), 'the token is listed, not its value')
  await Promise.all([page.waitForURL(/o=expires/), page.click('th a:has-text("Expires")')])
  check((await page.inputValue('#user')) === user.username, 'the filter is kept when sorting')
  await shoot(page, '04c-tokens')
  await page.fill('#scope', 'read write')
  await page.click('button:has-text("Filter")')
  check((await page.content()).includes('Enter one scope'), 'the scope error is shown')
  await shoot(page, '04d-tokens-errors')

  await page.goto(`${BASE}/admin/users/${user.id}/`)

  step('deactivating them: their token stops working')
  await Promise.all([page.waitForURL(/notice=deactivated/), page.click('button:has-text("Deactivate")')])
  check((await page.content()).includes('The user was deactivated'), 'the page says so')
  await shoot(page, '05-user-deactivated')
  check((await hello(userToken)).status === 401, 'the token is refused after deactivation')

  step('changing their password (a mismatch first)')
  await Promise.all([page.waitForURL(/\/password\/$/), page.click('a:has-text("Change password")')])
  await shoot(page, '06-password')
  await page.fill('#password1', 'a new password for e2e')
  await page.fill('#password2', 'a different one')
  await page.click('button:has-text("Change password")')
  check((await page.content()).includes('didn’t match'), 'the mismatch is shown')
  await shoot(page, '07-password-errors')
  await page.fill('#password1', 'a new password for e2e')
  await page.fill('#password2', 'a new password for e2e')
  await Promise.all([page.waitForURL(/notice=password/), page.click('button:has-text("Change password")')])

  step('the other user pages: add user (errors), log out everywhere, delete confirmations')
  await page.goto(`${BASE}/admin/users/add/`)
  await shoot(page, '08-user-add')
  await page.fill('#username', user.username)
  // The browser's own type=email check passes this; Django's EmailValidator (the server's) does not.
  await page.fill('#email', 'someone@nodot')
  await page.fill('#password1', 'x')
  await page.fill('#password2', 'y')
  await page.click('button:has-text("Create user")')
  const refused = await page.content()
  check(refused.includes('already exists') && refused.includes('Enter a valid email address'), 'field errors shown')
  check(refused.includes('value="someone@nodot"'), 'the input is kept')
  await shoot(page, '09-user-add-errors')
  await page.goto(`${BASE}/admin/users/${user.id}/logout-everywhere/`)
  await shoot(page, '10-user-logout-everywhere')
  await page.goto(`${BASE}/admin/users/${user.id}/delete/`)
  await shoot(page, '11-user-delete')

  step("rotating the client's secret")
  await page.goto(`${BASE}/admin/applications/`)
  await shoot(page, '12-applications')
  await Promise.all([page.waitForURL(`${BASE}/admin/applications/${app.id}/`), page.click('text=E2E Billing Service')])
  await shoot(page, '13-application-detail')
  await Promise.all([page.waitForURL(/\/rotate-secret\/$/), page.click('a:has-text("Rotate secret")')])
  await shoot(page, '14-application-rotate')
  await page.click('button:has-text("Rotate secret")')
  const secret = (await page.textContent('code.secret')) ?? ''
  check(secret.startsWith('ecs_') && secret !== oldSecret, 'a new secret is shown')
  await shoot(page, '15-application-secret')
  const clientCredentials = (clientSecret: string) =>
    token({ grant_type: 'client_credentials', client_id: app.clientId, client_secret: clientSecret })
  check((await clientCredentials(oldSecret)).status === 401, 'the old secret is refused')
  check((await clientCredentials(secret)).status === 200, 'the new secret works')

  step("revoking the application's tokens")
  const appToken = ((await (await clientCredentials(secret)).json()) as { access_token: string }).access_token
  const helloWith = (accessToken: string) =>
    fetch(`${BASE}/api/hello`, { headers: { Authorization: `Bearer ${accessToken}` } })
  check((await helloWith(appToken)).status === 200, "the application's token works")
  await page.goto(`${BASE}/admin/applications/${app.id}/`)
  await Promise.all([page.waitForURL(/\/tokens\/revoke-all\/$/), page.click('a:has-text("Revoke all tokens")')])
  await Promise.all([page.waitForLoadState('load'), page.click('button:has-text("Revoke all tokens")')])
  check((await helloWith(appToken)).status === 401, "the application's token is refused after revoke all")
  await page.goto(`${BASE}/admin/applications/${app.id}/change/`)
  await shoot(page, '16-application-change')
  await page.goto(`${BASE}/admin/applications/add/`)
  await page.fill('#name', 'Bad redirect')
  await page.fill('#redirect_uris', 'http://evil.example/cb')
  await page.check('input[value=authorization-code]')
  await page.click('button:has-text("Save")')
  check((await page.content()).includes('Enter an https URI'), 'the redirect URI rule is shown')
  await shoot(page, '17-application-add-errors')
  await page.goto(`${BASE}/admin/applications/${app.id}/delete/`)
  await shoot(page, '18-application-delete')

  step('reading the audit log')
  await page.goto(`${BASE}/admin/log/`)
  const log = await page.content()
  for (const action of ['user.deactivate', 'user.password', 'application.rotate_secret']) {
    check(log.includes(action), `the log shows ${action}`)
  }
  check(!log.includes(secret) && !log.includes('a new password for e2e'), 'the log holds no secret')
  await shoot(page, '19-audit-log')
  // At desktop width no word of the log is split across lines ("admi n"; a line may still end at
  // a hyphen, as text does; cells that may hold a long client_id or URL, td.long, break anywhere);
  // the same check with the old rule (every cell breaks anywhere) finds split words.
  const splitWords = `(() => {
    const split = []
    for (const cell of document.querySelectorAll('table.list td:not(.long)')) {
      const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT)
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        for (const match of node.textContent.matchAll(/[^\\s-]+/g)) {
          const range = document.createRange()
          range.setStart(node, match.index)
          range.setEnd(node, match.index + match[0].length)
          if (new Set([...range.getClientRects()].map((rect) => Math.round(rect.top))).size > 1) split.push(match[0])
        }
      }
    }
    return split
  })()`
  const split = (await page.evaluate(splitWords)) as string[]
  check(split.length === 0, `no word of the audit log is split: ${split.join(', ')}`)
  // Through the CSSOM: the page's CSP refuses a <style> element.
  await page.evaluate(
    `document.querySelectorAll('table.list td').forEach((cell) => { cell.style.overflowWrap = 'anywhere' })`,
  )
  check(((await page.evaluate(splitWords)) as string[]).length > 0, 'the split-word check catches the old rule')

  step("the client's keys: a bad JWK Set (field error), then a key it authenticates with (private_key_jwt)")
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true })
  const jwk = { ...(await exportJWK(publicKey)), kid: 'e2e-key-1', alg: 'ES256', use: 'sig' }
  await page.goto(`${BASE}/admin/applications/${app.id}/`)
  await Promise.all([page.waitForURL(/\/keys\/$/), page.click('a:has-text("Set keys")')])
  await shoot(page, '20-application-keys')
  await page.fill('#jwks', '{"keys": [')
  await page.click('button:has-text("Save keys")')
  check((await page.content()).includes('Enter a JWK Set as JSON'), 'the JSON error is shown under the field')
  await shoot(page, '21-application-keys-errors')
  await page.fill('#jwks', JSON.stringify({ keys: [jwk] }))
  await Promise.all([page.waitForURL(/notice=keys_set/), page.click('button:has-text("Save keys")')])
  const keyed = await page.content()
  check(keyed.includes('e2e-key-1') && keyed.includes('EC P-256'), 'the key is listed by kid and type')
  check(keyed.includes('Its client secret, or its key (private_key_jwt)'), 'the page says how it authenticates')
  await shoot(page, '22-application-keys-set')
  const now = Math.floor(Date.now() / 1000)
  const assertion = await new SignJWT({ jti: crypto.randomUUID() })
    .setProtectedHeader({ alg: 'ES256', kid: 'e2e-key-1' })
    .setIssuer(app.clientId)
    .setSubject(app.clientId)
    .setAudience(BASE)
    .setIssuedAt(now)
    .setExpirationTime(now + 60)
    .sign(privateKey)
  const byKey = await token({
    grant_type: 'client_credentials',
    client_id: app.clientId,
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: assertion,
  })
  check(byKey.status === 200, `a client assertion signed by the key set in the console works (${byKey.status})`)

  step('require_pushed_authorization_requests on the change form')
  await page.goto(`${BASE}/admin/applications/${app.id}/change/`)
  await page.check('input[name=require_pushed_authorization_requests]')
  await shoot(page, '23-application-change-par')
  await Promise.all([page.waitForURL(/notice=changed/), page.click('button:has-text("Save")')])
  check((await page.content()).includes('required: its authorization requests must come through'), 'PAR shown')

  step('trusted identity providers: add (errors first), open, remove behind a confirmation')
  await Promise.all([
    page.waitForURL(`${BASE}/admin/identity-providers/`),
    page.click('nav >> text=Identity providers'),
  ])
  await shoot(page, '24-identity-providers-empty')
  await Promise.all([page.waitForURL(/\/add\/$/), page.click('a:has-text("Add identity provider")')])
  await page.fill('#issuer', 'http://idp.example.com')
  await page.fill('#user_claim', 'aud')
  await page.click('button:has-text("Save")')
  const idpErrors = await page.content()
  check(idpErrors.includes('The issuer must be an https URL'), 'the issuer rule is shown')
  check(idpErrors.includes('The aud claim does not name a user'), 'the claim rule is shown')
  await shoot(page, '25-identity-provider-add-errors')
  await page.fill('#issuer', 'https://idp.example.com')
  await page.fill('#jwks_uri', 'https://idp.example.com/.well-known/jwks.json')
  await page.fill('#user_claim', 'email')
  await Promise.all([page.waitForURL(/notice=trusted/), page.click('button:has-text("Save")')])
  await shoot(page, '26-identity-provider')
  await page.goto(`${BASE}/admin/identity-providers/`)
  check((await page.content()).includes('https://idp.example.com/.well-known/jwks.json'), 'the list shows it')
  await shoot(page, '27-identity-providers')
  await Promise.all([
    page.waitForURL(/\/identity-providers\/\d+\/$/),
    page.click('a:has-text("https://idp.example.com")'),
  ])
  await Promise.all([page.waitForURL(/\/remove\/$/), page.click('a:has-text("Remove")')])
  await shoot(page, '28-identity-provider-remove')
  await Promise.all([page.waitForURL(/notice=removed/), page.click('button:has-text("Stop trusting")')])

  step("the application's ID-JAG exchange rules: add one (errors first)")
  await page.goto(`${BASE}/admin/applications/${app.id}/`)
  await Promise.all([page.waitForURL(/\/id-jag-rules\/add\/$/), page.click('a:has-text("Add a rule")')])
  await page.fill('#audience', 'https://as.example.com')
  await page.fill('#resource', 'https://mcp.example.com/#x')
  await page.click('button:has-text("Save rule")')
  check((await page.content()).includes('The resource must be an absolute URI'), 'the resource rule is shown')
  await shoot(page, '29-id-jag-rule-errors')
  await page.fill('#resource', 'https://mcp.example.com/mcp')
  await page.fill('#scope', 'read')
  await Promise.all([page.waitForURL(/notice=rule_set/), page.click('button:has-text("Save rule")')])
  check((await page.content()).includes('https://mcp.example.com/mcp'), 'the rule is listed on the application')
  await shoot(page, '30-application-with-keys-and-rules')

  await page.goto(`${BASE}/admin/log/`)
  const enterpriseLog = await page.content()
  for (const action of [
    'application.keys',
    'identity_provider.trust',
    'identity_provider.remove',
    'id_jag_policy.set',
  ]) {
    check(enterpriseLog.includes(action), `the log shows ${action}`)
  }
  await shoot(page, '31-audit-log-enterprise')
  step(`passed; screenshots in ${SHOTS}`)
} finally {
  await browser?.close()
  // wrangler dev runs in its own process group: end that group (only it).
  if (server?.pid !== undefined && server.exitCode === null) process.kill(-server.pid, 'SIGTERM')
  rmSync(state, { recursive: true, force: true })
}
