/**
 * `npm run test:e2e`: a Django site that moved /o/ to this Worker and kept its business API in
 * Django. A tiny Django project (test/django-resource-server/: Debian's python3-django-oauth-toolkit
 * 1.7 and python3-djangorestframework) protects a DRF view with DOT's OAuth2Authentication and
 * TokenHasScope, and DOT asks `wrangler dev`'s /o/introspect/ about each token (DOT's
 * RESOURCE_SERVER_INTROSPECTION_URL), as the introspection client tied to the Django API's resource
 * (`createapplication --can-introspect --resource`). The Worker's DEFAULT_AUDIENCE is that resource,
 * so a client that never sends `resource` gets tokens for Django. Checked: a token from this Worker
 * is accepted (DOT creates its user from `username`); one without the view's scope gets 403; a
 * revoked, an expired (minted already expired through the token store), a made-up token and a
 * live token for another audience (the Worker's own /api, where it works) get 401. Then the same
 * with DOT authenticating by a Bearer token of the introspection client (RESOURCE_SERVER_AUTH_TOKEN)
 * instead of its credentials (RESOURCE_SERVER_INTROSPECTION_CREDENTIALS).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createUser } from '../../src/accounts/users.ts'
import { randomString } from '../../src/crypto/random.ts'
import { keyedTokenFormat } from '../../src/crypto/token-format.ts'
import { createApplication } from '../../src/oauth/applications.ts'
import { issueTokensIf } from '../../src/tokens/issue.ts'
import { standaloneTokenStore } from '../../src/tokens/store.ts'
import { check, seedState, startWorker, stopServer } from './harness.ts'

const PORT = Number(process.env.E2E_DJANGO_WORKER_PORT ?? 8794)
const DJANGO_PORT = Number(process.env.E2E_DJANGO_PORT ?? 9913)
const BASE = `http://127.0.0.1:${PORT}`
const DJANGO = `http://127.0.0.1:${DJANGO_PORT}`
// The Django API's RFC 8707 resource identifier.
const DJANGO_API = `${DJANGO}/api`
// Debian's interpreter: the one its python3-django-oauth-toolkit is installed for.
const PYTHON = process.env.E2E_PYTHON ?? '/usr/bin/python3'
const PROJECT = join(import.meta.dirname, '..', 'django-resource-server')
const SECRET_KEY = randomString(50)

function step(message: string): void {
  console.log(`e2e django: ${message}`)
}

type DjangoAuth =
  | { INTROSPECTION_CLIENT_ID: string; INTROSPECTION_CLIENT_SECRET: string }
  | { INTROSPECTION_TOKEN: string }

function djangoEnv(database: string, auth: DjangoAuth): NodeJS.ProcessEnv {
  return {
    ...process.env,
    DJANGO_DATABASE: database,
    WORKER_INTROSPECTION_URL: `${BASE}/o/introspect/`,
    ...auth,
    // No __pycache__ in the worktree.
    PYTHONDONTWRITEBYTECODE: '1',
    PYTHONUNBUFFERED: '1',
  }
}

/** `manage.py <args>` to completion. */
function manage(args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const child = spawn(PYTHON, ['manage.py', ...args], { cwd: PROJECT, env, stdio: ['ignore', 'inherit', 'inherit'] })
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`manage.py ${args[0]} exited ${code}`))))
  })
}

/** Django's runserver in its own process group, once it answers. */
async function startDjango(env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  const server = spawn(PYTHON, ['manage.py', 'runserver', `127.0.0.1:${DJANGO_PORT}`, '--noreload'], {
    cwd: PROJECT,
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
    detached: true,
  })
  for (let attempt = 0; attempt < 120; attempt++) {
    if (server.exitCode !== null) throw new Error('runserver exited early')
    try {
      await fetch(`${DJANGO}/api/orders/`)
      return server
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  await stopServer(server)
  throw new Error('runserver did not start')
}

function post(path: string, values: Record<string, string>): Promise<Response> {
  return fetch(`${BASE}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(values),
  })
}

async function token(values: Record<string, string>): Promise<string> {
  const response = await post('/o/token/', values)
  const body = (await response.json()) as { access_token?: string }
  check(response.status === 200 && body.access_token, `token endpoint: ${response.status} ${JSON.stringify(body)}`)
  return body.access_token
}

async function orders(bearer?: string): Promise<{ status: number; body: Record<string, unknown>; challenge: string }> {
  const response = await fetch(`${DJANGO}/api/orders/`, {
    headers: bearer === undefined ? {} : { Authorization: `Bearer ${bearer}` },
  })
  return {
    status: response.status,
    body: (await response.json()) as Record<string, unknown>,
    challenge: response.headers.get('WWW-Authenticate') ?? '',
  }
}

async function expectRefused(bearer: string | undefined, what: string): Promise<void> {
  const answer = await orders(bearer)
  check(answer.status === 401, `${what}: Django answered ${answer.status} ${JSON.stringify(answer.body)}`)
  check(answer.challenge.startsWith('Bearer realm="api"'), `${what}: challenge ${answer.challenge}`)
}

const state = mkdtempSync(join(tmpdir(), 'eot-e2e-django-'))
let worker: ChildProcess | undefined
let django: ChildProcess | undefined
try {
  step('applying migrations to a throwaway local D1')
  const seeded = await seedState(state, async (db, env) => {
    step('seeding a user, a client, the Django API introspection client and an expired token')
    const password = randomString(20)
    const user = await createUser(db, { username: 'alice', password })
    const client = await createApplication(db, {
      name: 'Orders app',
      clientType: 'confidential',
      grantTypes: ['password'],
    })
    const introspector = await createApplication(db, {
      name: 'Django API',
      clientType: 'confidential',
      grantTypes: ['client-credentials'],
      canIntrospect: true,
      resource: DJANGO_API,
    })
    // Already expired when minted: the token store, with the SECRET_KEY the Worker will run with.
    const store = standaloneTokenStore(db, env.TOKEN_CACHE, keyedTokenFormat(SECRET_KEY))
    const expired = await issueTokensIf(
      store,
      {
        userId: user.id,
        username: user.username,
        applicationId: client.id,
        clientId: client.clientId,
        scopes: ['read'],
        accessLifetime: -60,
        refreshLifetime: null,
      },
      undefined,
    )
    if (!expired) throw new Error('the introspected client vanished')
    return { password, client, introspector, expired: expired.accessToken }
  })
  const { client, introspector } = seeded
  const clientAuth = { client_id: client.clientId, client_secret: client.clientSecret ?? '' }
  const userToken = (extra: Record<string, string> = {}) =>
    token({ grant_type: 'password', username: 'alice', password: seeded.password, ...clientAuth, ...extra })

  const database = join(state, 'django.sqlite3')
  const credentials = {
    INTROSPECTION_CLIENT_ID: introspector.clientId,
    INTROSPECTION_CLIENT_SECRET: introspector.clientSecret ?? '',
  }
  step(`starting wrangler dev on ${BASE} (DEFAULT_AUDIENCE ${DJANGO_API}); migrating Django's database`)
  const [started, migrated] = await Promise.allSettled([
    startWorker(PORT, state, { SECRET_KEY, DEFAULT_AUDIENCE: DJANGO_API }),
    manage(['migrate', '-v', '0'], djangoEnv(database, credentials)),
  ])
  if (started.status === 'rejected') throw started.reason
  worker = started.value
  if (migrated.status === 'rejected') throw migrated.reason

  step(`starting Django on ${DJANGO}, introspecting with the client's credentials (HTTP Basic)`)
  django = await startDjango(djangoEnv(database, credentials))

  step('a token from the Worker is accepted by the Django API, as its user')
  const live = await userToken({ scope: 'read write' })
  for (const round of ['first', 'again (DOT keeps the answer)']) {
    const answer = await orders(live)
    check(answer.status === 200, `${round}: Django answered ${answer.status} ${JSON.stringify(answer.body)}`)
    check(
      answer.body.username === 'alice' && answer.body.scope === 'read write',
      `${round}: ${JSON.stringify(answer.body)}`,
    )
  }

  step("a token without the view's scope gets 403")
  const writeOnly = await orders(await userToken({ scope: 'write' }))
  check(writeOnly.status === 403, `write-only token: ${writeOnly.status} ${JSON.stringify(writeOnly.body)}`)

  step('a revoked token, an expired one and a made-up one get 401')
  const revoked = await userToken({ scope: 'read' })
  const revocation = await post('/o/revoke-token/', { token: revoked, ...clientAuth })
  check(revocation.status === 200, `revocation answered ${revocation.status}`)
  await expectRefused(revoked, 'revoked token')
  await expectRefused(seeded.expired, 'expired token')
  await expectRefused(`eat_${randomString(60)}`, 'made-up token')
  await expectRefused(undefined, 'no token')

  step("revoking a token Django already accepted shows there once DOT's kept answer lapses (its caching seconds)")
  const liveRevocation = await post('/o/revoke-token/', { token: live, ...clientAuth })
  check(liveRevocation.status === 200, `revocation answered ${liveRevocation.status}`)
  const kept = await orders(live)
  check(kept.status === 200, `DOT's kept answer: ${kept.status} ${JSON.stringify(kept.body)}`)

  step("a live token for another audience (the Worker's own API) works there and gets 401 from Django")
  const forWorkerApi = await userToken({ scope: 'read', resource: `${BASE}/api` })
  const hello = await fetch(`${BASE}/api/hello`, { headers: { Authorization: `Bearer ${forWorkerApi}` } })
  check(hello.status === 200, `the Worker's /api/hello answered ${hello.status}`)
  await expectRefused(forWorkerApi, 'token for another audience')
  await stopServer(django)

  step('Django again, introspecting with a Bearer token of the introspection client (RESOURCE_SERVER_AUTH_TOKEN)')
  const introspectionToken = await token({
    grant_type: 'client_credentials',
    scope: 'introspection',
    client_id: introspector.clientId,
    client_secret: introspector.clientSecret ?? '',
  })
  django = await startDjango(djangoEnv(database, { INTROSPECTION_TOKEN: introspectionToken }))
  const second = await orders(await userToken({ scope: 'read' }))
  check(
    second.status === 200 && second.body.username === 'alice',
    `Bearer-authenticated: ${JSON.stringify(second.body)}`,
  )
  await expectRefused(await userToken({ scope: 'read', resource: `${BASE}/mcp` }), 'token for the MCP endpoint')
  step('passed')
} finally {
  await stopServer(django)
  await stopServer(worker)
  rmSync(state, { recursive: true, force: true })
}
