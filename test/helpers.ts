/**
 * Fixtures for tests: users and applications made through the domain layer, and small
 * HTTP helpers that call the Worker the way a client would.
 */
import { createExecutionContext, env, SELF, waitOnExecutionContext } from 'cloudflare:test'
import { eq } from 'drizzle-orm'
import { base64url } from 'jose'
import { afterAll, beforeAll, expect } from 'vitest'
import { createUser } from '../src/accounts/users.ts'
import { getConfig } from '../src/config.ts'
import { sha256Hex } from '../src/crypto/digest.ts'
import { useMinimumPasswordHashCost } from '../src/crypto/passwords.ts'
import { keyedTokenFormat } from '../src/crypto/token-format.ts'
import { type Db, getDb } from '../src/db/client.ts'
import { users } from '../src/db/schema.ts'
import worker from '../src/index.ts'
import { createApplication, type NewApplication } from '../src/oauth/applications.ts'
import { createAuthorizationCode } from '../src/tokens/authorization-codes.ts'
import { type IssuedTokens, type IssueRequest, issueTokensIf } from '../src/tokens/issue.ts'
import { standaloneShards } from '../src/tokens/shards.ts'
import { standaloneTokenStore, type TokenStore } from '../src/tokens/store.ts'
import { shardBindingNames } from './counting.ts'

export const db = getDb(env.DB)

let counter = 0
export function unique(prefix: string): string {
  counter++
  return `${prefix}${Date.now().toString(36)}${counter}`
}

export async function makeUser(overrides: { isActive?: boolean; password?: string } = {}) {
  const password = overrides.password ?? 'correct horse battery staple'
  const user = await createUser(db, { username: unique('user'), email: 'user@example.com', password })
  if (overrides.isActive === false) {
    await db.update(users).set({ isActive: false }).where(eq(users.id, user.id))
  }
  return { ...user, plainPassword: password }
}

/**
 * New password hashes at production cost in the calling file or describe block, for the tests of
 * hashing itself (test/setup.ts lowers the cost for the others, as vitest.config.ts binds it).
 */
export function productionPasswordCost(): void {
  beforeAll(() => useMinimumPasswordHashCost(false))
  afterAll(() => useMinimumPasswordHashCost(env.TEST_PASSWORD_HASH_COST === 'minimum'))
}

export async function makeApplication(overrides: Partial<NewApplication> = {}) {
  return createApplication(db, {
    name: 'Test app',
    clientType: 'confidential',
    grantTypes: ['password'],
    ...overrides,
  })
}

export function form(values: Record<string, string>): string {
  return new URLSearchParams(values).toString()
}

export function basic(clientId: string, clientSecret: string): string {
  const encode = (value: string) => encodeURIComponent(value)
  return `Basic ${btoa(`${encode(clientId)}:${encode(clientSecret)}`)}`
}

/**
 * The token endpoint, waiting for the request's background work too (the new token's KV write
 * and its confirm query run in `waitUntil`), so what a test counts or checks next is its own.
 */
export async function postToken(body: string, headers: Record<string, string> = {}) {
  return fetchWorker(
    new Request('https://example.com/o/token/', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
      body,
    }),
  )
}

/** A password grant for `username` with a fresh confidential password-grant application. */
export async function passwordGrantWithNewApp(username: string, password: string) {
  const app = await makeApplication()
  return postToken(
    form({
      grant_type: 'password',
      username,
      password,
      client_id: app.clientId,
      client_secret: app.clientSecret ?? '',
    }),
  )
}

/** A user, a password-grant application and a fresh token for them (for `resource`, RFC 8707, if named). */
export async function passwordToken(scope?: string, resource?: string) {
  const user = await makeUser()
  const app = await makeApplication()
  const response = await postToken(
    form({
      grant_type: 'password',
      username: user.username,
      password: user.plainPassword,
      client_id: app.clientId,
      client_secret: app.clientSecret ?? '',
      ...(scope ? { scope } : {}),
      ...(resource ? { resource } : {}),
    }),
  )
  const body = await response.json<{ access_token: string; refresh_token: string; scope: string }>()
  return { user, app, token: body.access_token, refreshToken: body.refresh_token, body }
}

type ApiRequest = {
  method?: string
  authorization?: string
  /** A browser session's cookie, sent with the Origin a browser adds to every non-GET fetch. */
  cookie?: string
  headers?: Record<string, string>
  json?: unknown
  form?: Record<string, string>
}

/** Calls the Worker like an API client: optional Authorization, JSON or form body. */
export function api(url: string, request: ApiRequest = {}) {
  const headers: Record<string, string> = { ...request.headers }
  let body: string | undefined
  if (request.authorization !== undefined) headers.Authorization = request.authorization
  if (request.cookie !== undefined) Object.assign(headers, { Cookie: request.cookie, Origin: ORIGIN })
  if (request.json !== undefined) {
    headers['Content-Type'] = 'application/json'
    body = JSON.stringify(request.json)
  } else if (request.form !== undefined) {
    headers['Content-Type'] = 'application/x-www-form-urlencoded'
    body = form(request.form)
  }
  const absolute = url.startsWith('http') ? url : `https://example.com${url}`
  return SELF.fetch(absolute, { method: request.method ?? (body === undefined ? 'GET' : 'POST'), headers, body })
}

/** Tokens issued straight through the token store for an application that exists: no other fact is re-checked. */
export async function issueTokens(store: TokenStore, request: IssueRequest): Promise<IssuedTokens> {
  const issued = await issueTokensIf(store, request, undefined)
  if (!issued) throw new Error(`no application ${request.applicationId}`)
  return issued
}

/** An access token issued straight through the token store, e.g. one with no user (client_credentials). */
export async function storeToken(options: { scopes: string[]; user?: { id: number; username: string } | null }) {
  const app = await makeApplication({ grantTypes: ['client-credentials'] })
  const issued = await issueTokens(testStore(), {
    userId: options.user?.id ?? null,
    username: options.user?.username ?? null,
    applicationId: app.id,
    clientId: app.clientId,
    scopes: options.scopes,
    accessLifetime: 3600,
    refreshLifetime: null,
  })
  return issued.accessToken
}

/** Mints and checks tokens as the Worker does, with the test SECRET_KEY. */
export const tokenFormat = keyedTokenFormat(env.SECRET_KEY)

/**
 * The token store as the Worker builds it, over the test bindings: the main database and every
 * token shard (a new grant goes to any of them, as for a client nothing places, unless `shard` says).
 */
export function testStore(shard?: number) {
  return standaloneTokenStore(
    db,
    env.TOKEN_CACHE,
    tokenFormat,
    undefined,
    standaloneShards(env, shard === undefined ? (mainDatabaseOnly ? () => 0 : undefined) : () => shard),
  )
}

/** drizzle over every token database: the main one (shard 0), then each token shard, for changes made behind the app. */
export function everyTokenDb(): Db[] {
  return tokenDatabases().map(({ d1 }) => getDb(d1))
}

/** The token database that holds `token` (access, refresh or code), as its shard number says. */
export async function tokenDbOf(token: string): Promise<{ shard: number; d1: D1Database; db: Db }> {
  const kind = token.startsWith('ert_') ? 'refresh' : token.startsWith('eac_') ? 'code' : 'access'
  const shard = await tokenFormat.shardOf(token, kind)
  const found = tokenDatabases().find((database) => database.shard === shard)
  if (!found) throw new Error(`no token database for ${token.slice(0, 8)}…`)
  return { ...found, db: getDb(found.d1) }
}

/**
 * Runs one SQL statement on every token database (the main one, then each shard) and returns the
 * rows of all of them: for the tests that read or change token rows behind the app.
 */
export async function inEveryTokenDatabase<Row = Record<string, unknown>>(
  query: string,
  ...values: unknown[]
): Promise<Row[]> {
  const rows: Row[] = []
  for (const { d1 } of tokenDatabases())
    rows.push(
      ...(
        await d1
          .prepare(query)
          .bind(...values)
          .all<Row>()
      ).results,
    )
  return rows
}

/** The token database imported django-oauth-toolkit tokens go to, as `manage import-django` finds it (IMPORTED_TOKENS_SHARD). */
export function importedTokensDb(): Db {
  const shard = getConfig(env).tokenShards.importedShard
  const found = tokenDatabases().find((database) => database.shard === shard)
  if (!found) throw new Error(`no token database ${shard}`)
  return getDb(found.d1)
}

/** Every token database's binding: the main database (shard 0), then each token shard by number. */
export function tokenDatabases(): { shard: number; d1: D1Database }[] {
  const bindings = env as unknown as Record<string, D1Database>
  return [
    { shard: 0, d1: env.DB },
    ...shardBindingNames(env)
      .map((name) => ({ shard: Number(/^TOKEN_SHARD_(\d+)/.exec(name)?.[1]), d1: bindings[name] }))
      .sort((a, b) => a.shard - b.shard),
  ]
}

export async function expectOAuthError(response: Response, status: number, error: string) {
  expect(response.status).toBe(status)
  expect(response.headers.get('Cache-Control')).toBe('no-store')
  const body = await response.json<{ error: string; error_description: string }>()
  expect(body.error).toBe(error)
  return body
}

/** RFC 7636 §4.1/§4.2: a random verifier and its S256 challenge. */
export async function pkcePair() {
  const verifier = base64url.encode(crypto.getRandomValues(new Uint8Array(32)))
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)))
  return { verifier, challenge: base64url.encode(digest) }
}

export const REDIRECT_URI = 'https://client.example.com/callback'

/** A user, an authorization-code application and a code minted for them, as /o/authorize/ would. */
export async function authorizationCode(
  options: {
    clientType?: 'confidential' | 'public'
    pkce?: boolean
    scopes?: string[]
    lifetime?: number
    /** The token shard the code is minted in (as for a browser near it); any, by default. */
    shard?: number
  } = {},
) {
  const user = await makeUser()
  const app = await makeApplication({
    clientType: options.clientType ?? 'confidential',
    grantTypes: ['authorization-code'],
    redirectUris: [REDIRECT_URI],
    userId: user.id,
  })
  const pkce = await pkcePair()
  const withPkce = options.pkce ?? true
  const code = await createAuthorizationCode(testStore(options.shard), {
    applicationId: app.id,
    userId: user.id,
    redirectUri: REDIRECT_URI,
    scopes: options.scopes ?? ['read', 'write'],
    codeChallenge: withPkce ? pkce.challenge : '',
    codeChallengeMethod: withPkce ? 'S256' : '',
    nonce: '',
    authTime: Math.floor(Date.now() / 1000),
    lifetime: options.lifetime ?? 60,
  })
  const params: Record<string, string> = {
    grant_type: 'authorization_code',
    code,
    redirect_uri: REDIRECT_URI,
    client_id: app.clientId,
    ...(app.clientSecret ? { client_secret: app.clientSecret } : {}),
    ...(withPkce ? { code_verifier: pkce.verifier } : {}),
  }
  return { user, app, code, pkce, params }
}

export function hello(token: string) {
  return SELF.fetch('https://example.com/api/hello', { headers: { Authorization: `Bearer ${token}` } })
}

export function refreshGrant(app: { clientId: string; clientSecret: string | null }, token: string, scope?: string) {
  return postToken(
    form({
      grant_type: 'refresh_token',
      refresh_token: token,
      client_id: app.clientId,
      client_secret: app.clientSecret ?? '',
      ...(scope ? { scope } : {}),
    }),
  )
}

export const ORIGIN = 'https://example.com'

/** A browser-like form post from this site (hono/csrf checks the Origin). */
function formPost(path: string, values: Record<string, string>, headers: Record<string, string> = {}): Request {
  return new Request(`${ORIGIN}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: ORIGIN, ...headers },
    body: form(values),
  })
}

/** A browser-like form post from this site (hono/csrf checks the Origin). */
export function postForm(path: string, values: Record<string, string>, headers: Record<string, string> = {}) {
  return SELF.fetch(formPost(path, values, headers))
}

/**
 * Logs `user` in through /accounts/login/ and returns the session cookie to send back. The login's
 * background work (its `last_login` write) is over when this returns, so it does not run into
 * what the test does next (test/platform/round-trips.test.ts counts round trips).
 */
export async function login(user: { username: string; plainPassword: string }): Promise<string> {
  const response = await fetchWorker(
    formPost('/accounts/login/', { username: user.username, password: user.plainPassword }),
  )
  const setCookie = response.headers.get('Set-Cookie') ?? ''
  const cookie = setCookie.split(';')[0]
  if (response.status !== 302 || !cookie) throw new Error(`login failed: ${response.status}`)
  return cookie
}

export function getPage(path: string, cookie?: string) {
  return SELF.fetch(`${ORIGIN}${path}`, { redirect: 'manual', headers: cookie ? { Cookie: cookie } : {} })
}

/**
 * Calls the Worker's default export directly (SELF.fetch cannot change bindings) and waits for
 * its background work (cache write-backs), so what the request left in KV and D1 is there.
 */
export async function fetchWorker(request: Request, bindings?: Env): Promise<Response> {
  const ctx = createExecutionContext()
  const response = await worker.fetch(request, bindings ?? (mainDatabaseOnly ? mainDatabaseEnv() : env), ctx)
  await waitOnExecutionContext(ctx)
  return response
}

/** Calls the Worker with some settings changed (a fresh env object gets its own parsed config). */
export function fetchWithSettings(request: Request, settings: Record<string, string | undefined>) {
  return fetchWorker(request, { ...env, ...settings } as Env)
}

/**
 * New grants of the calling file go to the main database (shard 0), as before token shards existed:
 * for the tests of tokens minted then (SHARD_ROUTES=*=0 for the Worker; the test store too).
 */
export function tokensInMainDatabase(): void {
  beforeAll(() => {
    mainDatabaseOnly = true
  })
  afterAll(() => {
    mainDatabaseOnly = false
  })
}

let mainDatabaseOnly = false
const mainDatabaseEnv = () => ({ ...env, SHARD_ROUTES: '*=0' }) as Env

/** How many clients race for one code or refresh token: enough to overlap in workerd. */
export const RACERS = 50

/**
 * Of concurrent redemptions: exactly one 200, every other one `invalid_grant`.
 * Returns the winner's token response.
 */
export async function expectOneWinner(responses: Response[]) {
  let winner: { access_token: string; refresh_token: string; scope: string } | undefined
  let losers = 0
  for (const response of responses) {
    if (response.status === 200) {
      expect(winner).toBeUndefined()
      winner = await response.json()
    } else {
      await expectOAuthError(response, 400, 'invalid_grant')
      losers++
    }
  }
  expect(losers).toBe(responses.length - 1)
  if (!winner) throw new Error('no redemption succeeded')
  return winner
}

/**
 * The token rows of one application, and whether they hang together: every refresh token's
 * access token exists (or was retired: null), and no access token is left without the refresh
 * token it was issued with.
 */
export async function applicationTokenState(applicationId: number) {
  const state = {
    access: [] as { id: number; token_hash: string }[],
    refresh: [] as {
      token_hash: string
      access_token_id: number | null
      family_id: number
      revoked_at: number | null
    }[],
    orphans: { danglingRefresh: 0, loneAccess: 0 },
  }
  // In every token database: a grant's tokens are all in one, whichever it is.
  for (const { d1 } of tokenDatabases()) {
    const access = await d1
      .prepare(
        'SELECT id, lower(hex(token_hash)) AS token_hash FROM access_tokens WHERE application_id = ? AND expires_at > unixepoch()',
      )
      .bind(applicationId)
      .all<{ id: number; token_hash: string }>()
    const refresh = await d1
      .prepare(
        `SELECT lower(hex(token_hash)) AS token_hash, access_token_id, coalesce(family_id, id) AS family_id, revoked_at
         FROM refresh_tokens WHERE application_id = ? ORDER BY id`,
      )
      .bind(applicationId)
      .all<{ token_hash: string; access_token_id: number | null; family_id: number; revoked_at: number | null }>()
    const orphans = await d1
      .prepare(
        `SELECT
           (SELECT COUNT(*) FROM refresh_tokens r WHERE r.application_id = ?1 AND r.access_token_id IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM access_tokens a WHERE a.id = r.access_token_id)) AS danglingRefresh,
           (SELECT COUNT(*) FROM access_tokens a WHERE a.application_id = ?1
              AND NOT EXISTS (SELECT 1 FROM refresh_tokens r WHERE r.access_token_id = a.id)) AS loneAccess`,
      )
      .bind(applicationId)
      .first<{ danglingRefresh: number; loneAccess: number }>()
    state.access.push(...access.results)
    state.refresh.push(...refresh.results)
    state.orphans.danglingRefresh += orphans?.danglingRefresh ?? 0
    state.orphans.loneAccess += orphans?.loneAccess ?? 0
  }
  return state
}

/** Whether KV still holds a cache entry for this access token (a revoked one must not). */
export async function cachedInKv(accessToken: string): Promise<boolean> {
  return (await env.TOKEN_CACHE.get(`at:${await sha256Hex(accessToken)}`)) !== null
}
