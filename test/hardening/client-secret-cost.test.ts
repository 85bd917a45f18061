/**
 * Issue 22, Medium 2: a client secret imported from DOT ≥ 2 is still only Django's hash
 * (`pbkdf2_sha256$1000000$…`, ~1 s of CPU per check in pure JS) until the client first authenticates.
 * No unauthenticated request may buy more CPU than a login, and few may buy that much:
 * - every client authentication that does not succeed by digest (a wrong secret, an unknown client,
 *   an imported client's secret) is counted per client and per address BEFORE anything is checked;
 *   past either budget, 429 slow_down with Retry-After, nothing checked — whatever the client, so a
 *   refusal does not single out imported clients;
 * - a stored hash above the caps, a secret DOT could not have stored, a public client: refused
 *   without hashing;
 * - a failure answers no sooner than the slowest stored Django secret could be checked, so a wrong
 *   secret for an imported client and for a native one take the same time.
 * The limiters are replaced by in-memory ones (no wall-clock window to wait for); the floor is
 * asserted as requested of `floorTimer`, and hashing as work done (iterations, KiB × passes).
 */
import { env } from 'cloudflare:test'
import { eq, inArray } from 'drizzle-orm'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { floorTimer } from '../../src/accounts/password-timing.ts'
import { argon2WorkDone } from '../../src/crypto/argon2.ts'
import { toBase64, utf8 } from '../../src/crypto/encoding.ts'
import { pbkdf2TimeFloorMs } from '../../src/crypto/passwords.ts'
import { pbkdf2WorkDone, webCryptoPbkdf2Sha256 } from '../../src/crypto/pbkdf2.ts'
import { type ApplicationGrant, applications, DEVICE_CODE_GRANT } from '../../src/db/schema.ts'
import { CLIENT_AUTH_LIMIT_PERIOD_SECONDS } from '../../src/lib/rate-limit.ts'
import { basic, db, expectOAuthError, fetchWorker, form, makeApplication, unique } from '../helpers.ts'
import { type FakeLimiter, fakeLimiter } from '../limiters.ts'

const ORIGIN = 'https://example.com'
const SECRET = 'the client secret DOT generated, imported as its Django hash'
const ITERATIONS = 1_000 // cheap enough to check in a test; counted by pbkdf2WorkDone
// Django 5.2's own vector: 1,000,000 iterations (~1 s of pure-JS CPU). Stored, never checked here.
const DJANGO_1M = 'pbkdf2_sha256$1000000$seasalt$r1uLUxoxpP2Ued/qxvmje7UH9PUJBkRrvf9gGPL7Cps='
const WIDE_OPEN = 1_000_000

const created: number[] = []
afterEach(async () => {
  vi.restoreAllMocks()
  // A slow Django secret raises the floor of every failed client authentication: none outlives its test.
  if (created.length) await db.delete(applications).where(inArray(applications.id, created.splice(0)))
})

/** Django's pbkdf2_sha256 encoding of `secret` (make_password). */
async function djangoHash(secret: string, iterations = ITERATIONS): Promise<string> {
  const salt = 'importedsalt'
  const hash = await webCryptoPbkdf2Sha256(utf8(secret), utf8(salt), iterations, 32)
  return `pbkdf2_sha256$${iterations}$${salt}$${toBase64(hash)}`
}

/** A confidential application as `manage import-django` leaves a DOT ≥ 2 one: Django's hash, no digest. */
async function importedClient(djangoClientSecret: string, grantTypes: ApplicationGrant[] = ['client-credentials']) {
  const app = await makeApplication({ grantTypes, redirectUris: [] })
  created.push(app.id)
  await db.update(applications).set({ djangoClientSecret, clientSecretHash: '' }).where(eq(applications.id, app.id))
  return app
}

async function nativeClient() {
  const app = await makeApplication({ grantTypes: ['client-credentials'] })
  created.push(app.id)
  return app
}

type Limits = { perClient?: FakeLimiter; perAddress?: FakeLimiter }

function bindings({ perClient, perAddress }: Limits): Env {
  return {
    ...env,
    CLIENT_AUTH_CLIENT_LIMITER: perClient ?? fakeLimiter(WIDE_OPEN),
    CLIENT_AUTH_IP_LIMITER: perAddress ?? fakeLimiter(WIDE_OPEN),
  } as Env
}

/** POST /o/token/ client_credentials with HTTP Basic, under `limits`. */
function clientCredentials(clientId: string, secret: string, limits: Limits = {}, ip?: string) {
  return post('/o/token/', { grant_type: 'client_credentials' }, clientId, secret, limits, ip)
}

function post(
  path: string,
  values: Record<string, string>,
  clientId: string,
  secret: string,
  limits: Limits,
  ip?: string,
) {
  return fetchWorker(
    new Request(`${ORIGIN}${path}`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        Authorization: basic(clientId, secret),
        ...(ip ? { 'CF-Connecting-IP': ip } : {}),
      },
      body: form(values),
    }),
    bindings(limits),
  )
}

/** Hashing a call did: PBKDF2 iterations and argon2 KiB × passes. */
async function workOf(run: () => Promise<unknown>): Promise<{ pbkdf2: number; argon2: number }> {
  const [pbkdf2, argon2] = [pbkdf2WorkDone(), argon2WorkDone()]
  await run()
  return { pbkdf2: pbkdf2WorkDone() - pbkdf2, argon2: argon2WorkDone() - argon2 }
}

const NONE = { pbkdf2: 0, argon2: 0 }
const ONE_CHECK = { pbkdf2: ITERATIONS, argon2: 0 }

async function expectLimited(response: Response) {
  await expectOAuthError(response, 429, 'slow_down')
  expect(response.headers.get('Retry-After')).toBe(String(CLIENT_AUTH_LIMIT_PERIOD_SECONDS))
}

describe('failed client authentication is limited before the slow path', () => {
  it('per client: past the budget an imported client is refused (429) without checking its hash, the right secret too', async () => {
    const app = await importedClient(await djangoHash(SECRET))
    const perClient = fakeLimiter(2)
    for (let i = 0; i < 2; i++) {
      const work = await workOf(async () =>
        expectOAuthError(await clientCredentials(app.clientId, `wrong ${i}`, { perClient }), 401, 'invalid_client'),
      )
      expect(work).toEqual(ONE_CHECK)
    }
    expect(
      await workOf(async () => expectLimited(await clientCredentials(app.clientId, 'wrong', { perClient }))),
    ).toEqual(NONE)
    expect(
      await workOf(async () => expectLimited(await clientCredentials(app.clientId, SECRET, { perClient }))),
    ).toEqual(NONE)
    // The Django hash is still there: nothing was adopted from a refused attempt.
    const row = await db.select().from(applications).where(eq(applications.id, app.id)).get()
    expect(row?.djangoClientSecret).toMatch(/^pbkdf2_sha256\$/)
  })

  it('per address: past the budget every client is refused from that address; another address is checked', async () => {
    const [first, second] = [
      await importedClient(await djangoHash(SECRET)),
      await importedClient(await djangoHash(SECRET)),
    ]
    const perAddress = fakeLimiter(2)
    const attacker = '198.51.100.90'
    await expectOAuthError(
      await clientCredentials(first.clientId, 'wrong', { perAddress }, attacker),
      401,
      'invalid_client',
    )
    await expectOAuthError(
      await clientCredentials(second.clientId, 'wrong', { perAddress }, attacker),
      401,
      'invalid_client',
    )
    const refused = await workOf(async () =>
      expectLimited(await clientCredentials(second.clientId, 'wrong', { perAddress }, attacker)),
    )
    expect(refused).toEqual(NONE)
    const elsewhere = await workOf(async () =>
      expectOAuthError(
        await clientCredentials(second.clientId, 'wrong', { perAddress }, '198.51.100.91'),
        401,
        'invalid_client',
      ),
    )
    expect(elsewhere).toEqual(ONE_CHECK)
    expect(perAddress.keys).toEqual(['ip:198.51.100.90', 'ip:198.51.100.90', 'ip:198.51.100.90', 'ip:198.51.100.91'])
  })

  it('a native client and an unknown client_id are counted and refused the same way: a 429 reveals nothing about the hash', async () => {
    const native = await nativeClient()
    const unknown = unique('no-such-client-')
    for (const clientId of [native.clientId, unknown]) {
      const perClient = fakeLimiter(1)
      await expectOAuthError(await clientCredentials(clientId, 'wrong', { perClient }), 401, 'invalid_client')
      await expectLimited(await clientCredentials(clientId, 'wrong', { perClient }))
      expect(perClient.keys).toHaveLength(2)
      // Keyed by digest: the key is bounded whatever was sent, and no client_id is stored as is.
      expect(perClient.keys[0]).toMatch(/^client:[0-9a-f]{64}$/)
    }
  })

  it('a right secret checked by its digest never touches the limits (the hot path)', async () => {
    const native = await nativeClient()
    const closed = { perClient: fakeLimiter(0), perAddress: fakeLimiter(0) }
    for (let i = 0; i < 3; i++) {
      expect(
        (await clientCredentials(native.clientId, native.clientSecret ?? '', closed, '198.51.100.92')).status,
      ).toBe(200)
    }
    expect(closed.perClient.keys).toEqual([])
    expect(closed.perAddress.keys).toEqual([])
  })

  it("an imported client's right secret is checked once, adopted as a digest, and from then on never counted", async () => {
    const app = await importedClient(await djangoHash(SECRET))
    const perClient = fakeLimiter(1)
    expect(
      await workOf(async () => expect((await clientCredentials(app.clientId, SECRET, { perClient })).status).toBe(200)),
    ).toEqual(ONE_CHECK)
    const row = await db.select().from(applications).where(eq(applications.id, app.id)).get()
    expect(row?.djangoClientSecret).toBeNull()
    // The budget is spent, and the secret still works: it is a digest check now.
    expect(
      await workOf(async () => expect((await clientCredentials(app.clientId, SECRET, { perClient })).status).toBe(200)),
    ).toEqual(NONE)
    expect(perClient.keys).toHaveLength(1)
  })

  it('the device authorization, revocation and introspection endpoints take the same path', async () => {
    const app = await importedClient(await djangoHash(SECRET), ['client-credentials', DEVICE_CODE_GRANT])
    for (const [path, values] of [
      ['/o/device-authorization/', {}],
      ['/o/revoke_token/', { token: 'eat_x' }],
      ['/o/introspect/', { token: 'eat_x' }],
    ] as const) {
      const perClient = fakeLimiter(1)
      const first = await post(path, values, app.clientId, 'wrong', { perClient })
      expect(first.status).toBe(401)
      const work = await workOf(async () =>
        expectLimited(await post(path, values, app.clientId, 'wrong', { perClient })),
      )
      expect(work).toEqual(NONE)
    }
  })

  it('the limits are the Workers rate-limit bindings of wrangler.toml', () => {
    expect(typeof env.CLIENT_AUTH_CLIENT_LIMITER.limit).toBe('function')
    expect(typeof env.CLIENT_AUTH_IP_LIMITER.limit).toBe('function')
  })
})

describe('cheap refusals: no stored hash and no input can make the check dear', () => {
  it.each([
    ['PBKDF2 above 2,000,000 iterations', 'pbkdf2_sha256$3000000$seasalt$r1uLUxoxpP2Ued/qxvmje7UH9PUJBkRrvf9gGPL7Cps='],
    [
      'argon2 above 64 MiB × 3 passes',
      'argon2$argon2id$v=19$m=65536,t=16,p=16$c2FsdHNhbHRzYWx0c2FsdA$AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8',
    ],
    ['a format never verified (bcrypt)', 'bcrypt_sha256$$2b$12$abcdefghijklmnopqrstuu5MEhmbL8jq5b/yD0e7b0Bf6Yv6Y7XqW'],
  ])('a stored %s: refused with no hashing at all', async (_, stored) => {
    const app = await importedClient(stored)
    const work = await workOf(async () =>
      expectOAuthError(await clientCredentials(app.clientId, 'guess'), 401, 'invalid_client'),
    )
    expect(work).toEqual(NONE)
  })

  it('a presented secret longer than DOT could store (255 characters) is not checked', async () => {
    const app = await importedClient(await djangoHash(SECRET))
    const work = await workOf(async () =>
      expectOAuthError(await clientCredentials(app.clientId, 'x'.repeat(256)), 401, 'invalid_client'),
    )
    expect(work).toEqual(NONE)
  })

  it('a public client never takes the secret path, whatever Django hash it carries', async () => {
    const app = await importedClient(await djangoHash(SECRET))
    await db.update(applications).set({ clientType: 'public' }).where(eq(applications.id, app.id))
    const work = await workOf(async () =>
      expectOAuthError(await clientCredentials(app.clientId, SECRET), 401, 'invalid_client'),
    )
    expect(work).toEqual(NONE)
  })
})

describe('the time floor of a failed client authentication', () => {
  function recordFloors(): number[] {
    const requested: number[] = []
    vi.spyOn(floorTimer, 'wait').mockImplementation(async (ms) => {
      requested.push(ms)
    })
    return requested
  }

  it('no floor while no slow Django secret is stored', async () => {
    const requested = recordFloors()
    const native = await nativeClient()
    await expectOAuthError(await clientCredentials(native.clientId, 'wrong'), 401, 'invalid_client')
    expect(requested).toEqual([])
  })

  it('while one is: a wrong secret for a native client, an imported one and an unknown client_id all wait for it', async () => {
    await importedClient(DJANGO_1M)
    const requested = recordFloors()
    const native = await nativeClient()
    const imported = await importedClient(await djangoHash(SECRET))
    for (const clientId of [native.clientId, imported.clientId, unique('no-such-client-')]) {
      await expectOAuthError(await clientCredentials(clientId, 'wrong'), 401, 'invalid_client')
    }
    const floor = pbkdf2TimeFloorMs(1_000_000)
    expect(floor).toBeGreaterThan(0)
    expect(requested).toEqual([floor, floor, floor])
  })

  it('a right secret does not wait for it (native or imported), and a refusal over the limits asks for none', async () => {
    await importedClient(DJANGO_1M)
    // A floor that never ends: a response that waited for it would never come.
    const wait = vi.spyOn(floorTimer, 'wait').mockImplementation(() => new Promise<void>(() => {}))
    const native = await nativeClient()
    const imported = await importedClient(await djangoHash(SECRET))
    expect((await clientCredentials(native.clientId, native.clientSecret ?? '')).status).toBe(200)
    expect((await clientCredentials(imported.clientId, SECRET)).status).toBe(200)
    await expectLimited(await clientCredentials(native.clientId, 'wrong', { perClient: fakeLimiter(0) }))
    // Only the imported client's check armed it (alongside its hashing), and its success did not wait.
    expect(wait).toHaveBeenCalledTimes(1)
  })
})
