/**
 * @module
 * The benchmark's rows and budgets: a row is a name, the load to drive, and what
 * it needs (bindings, users in D1); a budget is a predicate over the measured rows.
 */
import { ARGON2_PARAMS } from '../src/crypto/passwords.ts'
import { randomString } from '../src/crypto/random.ts'
import type { Load } from './harness.ts'
import { HASH_PATH, KV_KEY_HEADER, KV_READ_PATH } from './routes.ts'

/** What the seeding step made, for rows to build their requests from. */
export type Seeded = {
  bearer: string
  /** The KV key the row-2/3 token is cached under. */
  bearerCacheKey: string
  /** The rows-2b/2c token: the same user and client, bound to a DPoP key (RFC 9449). */
  dpopToken: string
  /** A fresh DPoP proof of that key for a GET of `url` with that token. */
  dpopProof: (url: string) => string
  /** The bench user's DRF `Token` key. */
  apiKey: string
  username: string
  password: string
  clientId: string
  clientSecret: string
  /** A confidential application allowed only the client_credentials grant (as DOT's one grant per application). */
  serviceClientId: string
  serviceClientSecret: string
  /**
   * The same, as `manage import-django` leaves a DOT ≥ 2 client: its secret only as Django's hash
   * (pbkdf2_sha256, 1,000,000 iterations), checked the slow way until its first success.
   */
  importedClientId: string
  /** Access tokens stored in D1 only (not in KV): each is used once by the cold row. */
  coldTokens: string[]
  /** A confidential authorization-code application, its redirect URI, and a fresh code of it for the bench user. */
  codeClientId: string
  codeClientSecret: string
  redirectUri: string
  mintCode: () => Promise<string>
}

/** Calls the benchmark's server as a same-origin browser would (to make what a traced request consumes: a fresh token, a session). */
export type Call = (path: string, init: RequestInit) => Promise<Response>

/**
 * A row measured only for its client's path under the Sydney profile (one request at a time,
 * no load): endpoints whose every request consumes something (a code, a refresh token).
 */
export type IoRow = { id: string; name: string; status: number; request: (seeded: Seeded, call: Call) => Promise<Load> }

const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' }

function passwordGrantBody(seeded: Seeded): string {
  return new URLSearchParams({
    grant_type: 'password',
    username: seeded.username,
    password: seeded.password,
    client_id: seeded.clientId,
    client_secret: seeded.clientSecret,
  }).toString()
}

/** A fresh access + refresh token pair from the password grant. */
async function freshTokens(seeded: Seeded, call: Call): Promise<{ access_token: string; refresh_token: string }> {
  const response = await call('/o/token/', { method: 'POST', headers: FORM, body: passwordGrantBody(seeded) })
  if (response.status !== 200) throw new Error(`password grant answered ${response.status}`)
  return response.json() as Promise<{ access_token: string; refresh_token: string }>
}

/** The bench user's session cookie, from /accounts/login/. */
async function sessionCookie(seeded: Seeded, call: Call): Promise<string> {
  const response = await call('/accounts/login/', {
    method: 'POST',
    redirect: 'manual',
    headers: FORM,
    body: new URLSearchParams({ username: seeded.username, password: seeded.password }).toString(),
  })
  const cookie = (response.headers.get('Set-Cookie') ?? '').split(';')[0]
  if (response.status !== 302 || !cookie) throw new Error(`login answered ${response.status}`)
  return cookie
}

function tokenAction(path: string, seeded: Seeded, values: Record<string, string>): Load {
  return {
    path,
    method: 'POST',
    headers: FORM,
    body: new URLSearchParams({ ...values, client_id: seeded.clientId, client_secret: seeded.clientSecret }).toString(),
  }
}

export const IO_ROWS: IoRow[] = [
  {
    id: 'authorization-code',
    name: '10. POST /o/token/ authorization_code',
    status: 200,
    request: async (seeded) => ({
      path: '/o/token/',
      method: 'POST',
      headers: FORM,
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: await seeded.mintCode(),
        redirect_uri: seeded.redirectUri,
        client_id: seeded.codeClientId,
        client_secret: seeded.codeClientSecret,
      }).toString(),
    }),
  },
  {
    id: 'refresh',
    name: '11. POST /o/token/ refresh_token',
    status: 200,
    request: async (seeded, call) =>
      tokenAction('/o/token/', seeded, {
        grant_type: 'refresh_token',
        refresh_token: (await freshTokens(seeded, call)).refresh_token,
      }),
  },
  {
    id: 'revoke-access',
    name: '12a. POST /o/revoke_token/ access token',
    status: 200,
    request: async (seeded, call) =>
      tokenAction('/o/revoke_token/', seeded, { token: (await freshTokens(seeded, call)).access_token }),
  },
  {
    id: 'revoke-refresh',
    name: '12b. POST /o/revoke_token/ refresh token',
    status: 200,
    request: async (seeded, call) =>
      tokenAction('/o/revoke_token/', seeded, {
        token: (await freshTokens(seeded, call)).refresh_token,
        token_type_hint: 'refresh_token',
      }),
  },
  {
    id: 'introspect',
    name: '13. POST /o/introspect/',
    status: 200,
    request: async (seeded, call) =>
      tokenAction('/o/introspect/', seeded, { token: (await freshTokens(seeded, call)).access_token }),
  },
  {
    id: 'authorize-page',
    name: '14. GET /o/authorize/ (consent page, logged in)',
    status: 200,
    request: async (seeded, call) => ({
      path: `/o/authorize/?${new URLSearchParams({
        response_type: 'code',
        client_id: seeded.codeClientId,
        redirect_uri: seeded.redirectUri,
        // Wider than what row 10 granted ('read'): the consent page, not an automatic approval.
        scope: 'read write',
        state: 'bench',
      })}`,
      headers: { Cookie: await sessionCookie(seeded, call) },
    }),
  },
  {
    id: 'login-page',
    name: '15. GET /accounts/login/ (logged in)',
    status: 200,
    request: async (seeded, call) => ({
      path: '/accounts/login/?next=/',
      headers: { Cookie: await sessionCookie(seeded, call) },
    }),
  },
]

export type Row = {
  id: string
  name: string
  /**
   * Run once before the row's warm-up, in the same rate-limit window as its slices: brings the
   * server to the state the row measures. Returns a note for the table.
   */
  prime?: (seeded: Seeded, call: Call) => Promise<string>
  /** Bindings this row runs with, on top of wrangler.toml's. */
  bindings?: Record<string, string>
  /** Users in D1 while the row runs (bulk users are added before it; rows run in ROWS order, so counts only grow). */
  users?: number
  /** HTTP status every response must have. */
  status?: number
  load: (seeded: Seeded) => Load
}

const MEMORY_CACHE_OFF = { TOKEN_MEMORY_CACHE_SECONDS: '0' }

/** Cold-row requests; each consumes one seeded token (more are seeded for the warm-up). */
export const COLD_REQUESTS = 3000

/** /api/hello with the DPoP-bound token and a new proof for each request (RFC 9449 §7). */
function dpopHello({ dpopToken, dpopProof }: Seeded): Load {
  return {
    path: '/api/hello',
    headers: { Authorization: `DPoP ${dpopToken}` },
    perRequest: (url) => ({ DPoP: dpopProof(url) }),
  }
}

/** The users list as the tutorial calls it, authenticated by the row-2 token (an isolate-cache hit). */
function usersPage({ bearer }: Seeded): Load {
  return { path: '/api/users/?page=1', headers: { Authorization: `Bearer ${bearer}` } }
}

export const ROWS: Row[] = [
  { id: 'baseline', name: '1. GET /healthz (baseline, no I/O)', status: 200, load: () => ({ path: '/healthz' }) },
  {
    id: 'bearer-memory',
    name: '2. GET /api/hello Bearer, isolate-cache hit',
    status: 200,
    load: ({ bearer }) => ({ path: '/api/hello', headers: { Authorization: `Bearer ${bearer}` } }),
  },
  {
    id: 'dpop-memory',
    name: '2b. GET /api/hello DPoP, isolate-cache hit (one signature check; jti in isolate memory, no I/O)',
    status: 200,
    load: dpopHello,
  },
  {
    id: 'dpop-shared',
    name: '2c. GET /api/hello DPoP, isolate-cache hit, jti recorded in D1 (DPOP_REPLAY_CHECK=shared)',
    bindings: { DPOP_REPLAY_CHECK: 'shared' },
    status: 200,
    load: dpopHello,
  },
  {
    id: 'bearer-kv',
    name: '3. GET /api/hello Bearer, isolate cache off (KV hit)',
    bindings: MEMORY_CACHE_OFF,
    status: 200,
    load: ({ bearer }) => ({ path: '/api/hello', headers: { Authorization: `Bearer ${bearer}` } }),
  },
  {
    id: 'kv-floor',
    name: "3'. one KV read of row 3's key, no app code (bench-only route: row 3's floor)",
    // Same bindings as row 3, so it runs right after it without restarting the Worker.
    bindings: MEMORY_CACHE_OFF,
    status: 200,
    load: ({ bearerCacheKey }) => ({ path: KV_READ_PATH, headers: { [KV_KEY_HEADER]: bearerCacheKey } }),
  },
  {
    id: 'token-key',
    name: '4. GET /api/hello Token key',
    status: 200,
    load: ({ apiKey }) => ({ path: '/api/hello', headers: { Authorization: `Token ${apiKey}` } }),
  },
  {
    id: 'bearer-cold',
    name: '5. GET /api/hello Bearer, cold (KV miss → D1 → KV write-back)',
    status: 200,
    load: ({ coldTokens }) => ({
      path: '/api/hello',
      amount: COLD_REQUESTS,
      perRequest: () => ({ Authorization: `Bearer ${coldTokens.pop()}` }),
    }),
  },
  { id: 'users-10', name: '6a. GET /api/users/?page=1, 10 users', users: 10, status: 200, load: usersPage },
  {
    id: 'users-100k',
    name: '6b. GET /api/users/?page=1, 100,000 users',
    users: 100_000,
    status: 200,
    load: usersPage,
  },
  {
    id: 'client-credentials',
    name: '7. POST /o/token/ client_credentials',
    status: 200,
    load: ({ serviceClientId, serviceClientSecret }) => ({
      path: '/o/token/',
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: serviceClientId,
        client_secret: serviceClientSecret,
      }).toString(),
    }),
  },
  {
    id: 'password',
    name: '8. POST /o/token/ password grant',
    status: 200,
    load: ({ username, password, clientId, clientSecret }) => ({
      path: '/o/token/',
      method: 'POST',
      connections: 4,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'password',
        username,
        password,
        client_id: clientId,
        client_secret: clientSecret,
      }).toString(),
    }),
  },
  {
    id: 'hash',
    name: `8b. one password hash check (${ARGON2_PARAMS.type} m=${ARGON2_PARAMS.memoryKiB} t=${ARGON2_PARAMS.iterations} p=${ARGON2_PARAMS.parallelism}; bench-only route)`,
    status: 200,
    load: () => ({ path: HASH_PATH, connections: 4 }),
  },
  {
    id: 'garbage',
    name: '9. GET /api/hello, burst of garbage Bearer tokens',
    status: 401,
    load: () => ({
      path: '/api/hello',
      // Random values of a real token's shape: the checksum tells them apart.
      perRequest: () => ({ Authorization: `Bearer eat_${randomString(61)}` }),
    }),
  },
  // A burst of wrong client secrets, once the client's budget of failures is spent (the attack's
  // steady state): the same answer at the same cost whatever the client's secret is stored as.
  {
    id: 'wrong-secret-native',
    name: '9b. POST /o/token/ wrong client secret, native client (burst past its limit)',
    status: 429,
    prime: (seeded, call) => spendBudget(wrongSecret(seeded.serviceClientId), call),
    load: (seeded) => wrongSecret(seeded.serviceClientId),
  },
  {
    id: 'wrong-secret-imported',
    name: '9c. POST /o/token/ wrong client secret, imported client (Django PBKDF2 1,000,000; burst past its limit)',
    status: 429,
    prime: (seeded, call) => spendBudget(wrongSecret(seeded.importedClientId), call),
    load: (seeded) => wrongSecret(seeded.importedClientId),
  },
]

/** POST /o/token/ client_credentials for `clientId` with a wrong secret (HTTP Basic, as DOT's clients send it). */
function wrongSecret(clientId: string): Load {
  return {
    path: '/o/token/',
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Authorization: `Basic ${btoa(`${clientId}:not-the-secret`)}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials' }).toString(),
  }
}

/**
 * Spends the client's budget of failed authentications (CLIENT_AUTH_CLIENT_LIMITER): more attempts
 * at once than it allows, so some are refused. The admitted ones are the only checks the client
 * gets until the limiter's window ends, whatever comes after.
 */
async function spendBudget(load: Load, call: Call): Promise<string> {
  const attempts = 16
  const statuses = await Promise.all(
    Array.from({ length: attempts }, async () => {
      const response = await call(load.path, { method: load.method, headers: load.headers, body: load.body })
      await response.body?.cancel()
      return response.status
    }),
  )
  const checked = statuses.filter((status) => status === 401).length
  if (!statuses.includes(429) || checked + statuses.filter((status) => status === 429).length !== attempts) {
    throw new Error(`priming: expected 401s then 429s, got ${JSON.stringify(statuses)}`)
  }
  return `${checked} wrong secrets checked before the limit`
}

/** One measured row, as the budgets see it. */
export type Measured = {
  rps: number
  /** Median over rounds of req/s ÷ the baseline's req/s measured just before. */
  ratio: number
  /** Server CPU (workerd processes, /proc) ÷ responses over the row's slices. */
  cpuMsPerRequest: number
  d1PerRequest: number
  kvReadsPerRequest: number
  kvReads: number
}

export type Budget = {
  text: string
  rows: string[]
  holds: (rows: Record<string, Measured>, context: { memoryRefreshes: number }) => boolean
}

/**
 * Row 2b's budget, DPoP ÷ Bearer in server CPU per request (bench/README.md): the proof check (an
 * ECDSA verification, the floor) costs at most what the whole cached Bearer request costs again.
 * CPU, as row 9c's budget: req/s on this shared VM moves by more than the check costs.
 */
const DPOP_CPU_BUDGET = 2

export const BUDGETS: Budget[] = [
  {
    text: 'row 2 ≥ 0.90 × baseline req/s',
    rows: ['bearer-memory', 'baseline'],
    holds: (m) => m['bearer-memory'].ratio >= 0.9,
  },
  {
    text: 'row 3 ≥ 0.35 × baseline req/s',
    rows: ['bearer-kv', 'baseline'],
    holds: (m) => m['bearer-kv'].ratio >= 0.35,
  },
  // RFC 9449 at the resources: a DPoP-bound cached token costs one signature check more than Bearer, no I/O.
  {
    text: `row 2b (DPoP) ≤ ${DPOP_CPU_BUDGET} × row 2 (Bearer) CPU ms/req`,
    rows: ['dpop-memory', 'bearer-memory'],
    holds: (m) => m['dpop-memory'].cpuMsPerRequest <= DPOP_CPU_BUDGET * m['bearer-memory'].cpuMsPerRequest,
  },
  {
    // 32 connections of ~0.25 s requests: up to a third more statements counted than responses.
    text: 'row 2c (DPOP_REPLAY_CHECK=shared): one D1 statement a request, the jti record (≤ 1.5 read: requests in flight)',
    rows: ['dpop-shared'],
    holds: (m) => m['dpop-shared'].d1PerRequest >= 1 && m['dpop-shared'].d1PerRequest <= 1.5,
  },
  ...['bearer-memory', 'bearer-kv', 'token-key', 'dpop-memory'].map((id) => ({
    text: `${id}: 0 D1 queries`,
    rows: [id],
    holds: (m: Record<string, Measured>) => m[id].d1PerRequest === 0,
  })),
  // The isolate tier re-reads KV once per token every TOKEN_MEMORY_CACHE_SECONDS; nothing else may.
  ...['bearer-memory', 'token-key', 'dpop-memory'].map((id) => ({
    text: `${id}: no KV read (beyond the memory-tier refresh every TOKEN_MEMORY_CACHE_SECONDS)`,
    rows: [id],
    holds: (m: Record<string, Measured>, { memoryRefreshes }: { memoryRefreshes: number }) =>
      m[id].kvReads <= memoryRefreshes,
  })),
  {
    text: 'row 9: 0 D1 queries and 0 KV reads',
    rows: ['garbage'],
    holds: (m) => m.garbage.d1PerRequest === 0 && m.garbage.kvReads === 0,
  },
  {
    text: 'row 9c ≤ 1.5 × row 9b CPU ms/req (a wrong client secret: imported client ÷ native client)',
    rows: ['wrong-secret-imported', 'wrong-secret-native'],
    holds: (m) => m['wrong-secret-imported'].cpuMsPerRequest <= 1.5 * m['wrong-secret-native'].cpuMsPerRequest,
  },
  {
    text: 'row 6: 100k users ≥ 0.5 × 10 users req/s',
    rows: ['users-100k', 'users-10'],
    holds: (m) => m['users-100k'].ratio >= 0.5 * m['users-10'].ratio,
  },
]
