/**
 * A token that only LOOKS minted here must be refused before any KV or D1
 * read. The public CRC32 lets anyone compute a well-formed token; only the keyed MAC
 * (src/crypto/token-format.ts) tells the server's own tokens apart. Tokens minted before the MAC
 * (CRC-only, 53 characters) keep working until LEGACY_TOKEN_FORMAT_UNTIL.
 */
import { describe, expect, it } from 'vitest'
import { sha256Hex } from '../../src/crypto/digest.ts'
import { randomString } from '../../src/crypto/random.ts'
import { keyedTokenFormat, withChecksum } from '../../src/crypto/token-format.ts'
import { accessTokens, refreshTokens } from '../../src/db/schema.ts'
import { d1QueryCount, kvReadCount } from '../counting.ts'
import {
  authorizationCode,
  db,
  fetchWithSettings,
  form,
  makeApplication,
  makeUser,
  passwordToken,
  tokenFormat,
} from '../helpers.ts'

// Production's cache settings: the negative cache is on, and still no defence against rotation.
const PRODUCTION_CACHE = { TOKEN_MEMORY_CACHE_SECONDS: '5', TOKEN_NEGATIVE_CACHE_SECONDS: '60' }

type Cost = { status: number; d1: number; kvReads: number }

/** What one request answers and costs in D1 queries and KV reads. */
async function costOf(request: Request, settings: Record<string, string> = {}): Promise<Cost> {
  const [queries, reads] = [d1QueryCount(), kvReadCount()]
  const response = await fetchWithSettings(request, { ...PRODUCTION_CACHE, ...settings })
  await response.body?.cancel()
  return { status: response.status, d1: d1QueryCount() - queries, kvReads: kvReadCount() - reads }
}

const hello = (token: string) =>
  new Request('https://example.com/api/hello', { headers: { Authorization: `Bearer ${token}` } })

const tokenRequest = (values: Record<string, string>) =>
  new Request('https://example.com/o/token/', {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: form(values),
  })

/**
 * What anyone can compute from one real token: its prefix and length, a fresh random middle, and
 * the public checksum (CRC32) over it, so it passes every check that needs no key.
 */
function forgeLike(real: string): string {
  return withChecksum(real.slice(0, 4) + randomString(real.length - 10))
}

/** A token in the format minted before the keyed MAC (CRC-only), e.g. `eat_…`. */
const legacyToken = (prefix: 'eat' | 'ert') => withChecksum(`${prefix}_${randomString(43)}`)

describe('forged but well-formed tokens are refused before any KV or D1 read', () => {
  it('RFC 6750 §3.1: a Bearer token forged with the public checksum → 401 with 0 D1 queries and 0 KV reads, however many are rotated', async () => {
    const { token } = await passwordToken()
    for (let i = 0; i < 5; i++) {
      expect(await costOf(hello(forgeLike(token)))).toEqual({ status: 401, d1: 0, kvReads: 0 })
    }
  })

  it('RFC 6749 §5.2: a forged refresh token costs no more than garbage (invalid_grant)', async () => {
    const { app, refreshToken } = await passwordToken()
    const grant = (value: string) =>
      tokenRequest({
        grant_type: 'refresh_token',
        refresh_token: value,
        client_id: app.clientId,
        client_secret: app.clientSecret ?? '',
      })
    const garbage = await costOf(grant('garbage'))
    expect(garbage.status).toBe(400)
    for (let i = 0; i < 3; i++) expect(await costOf(grant(forgeLike(refreshToken)))).toEqual(garbage)
  })

  it('RFC 6749 §5.2: a forged authorization code costs no more than garbage (invalid_grant)', async () => {
    const { code, params } = await authorizationCode()
    const garbage = await costOf(tokenRequest({ ...params, code: 'garbage' }))
    expect(garbage.status).toBe(400)
    for (let i = 0; i < 3; i++)
      expect(await costOf(tokenRequest({ ...params, code: forgeLike(code) }))).toEqual(garbage)
  })

  it('a token minted under another SECRET_KEY → 401 with 0 D1 queries and 0 KV reads', async () => {
    const foreign = keyedTokenFormat('another-deployments-secret-key')
    expect(await costOf(hello(await foreign.mint('access')))).toEqual({ status: 401, d1: 0, kvReads: 0 })

    const { app } = await passwordToken()
    const grant = (value: string) =>
      tokenRequest({
        grant_type: 'refresh_token',
        refresh_token: value,
        client_id: app.clientId,
        client_secret: app.clientSecret ?? '',
      })
    expect(await costOf(grant(await foreign.mint('refresh')))).toEqual(await costOf(grant('garbage')))
  })

  it('a real token pointed at another shard (its shard number changed, the checksum recomputed) → 401 with 0 D1 queries and 0 KV reads', async () => {
    const { token, refreshToken, app } = await passwordToken()
    // `eat_` then two characters of shard number (src/crypto/token-format.ts), inside the MAC.
    const elsewhere = (real: string) =>
      ['01', '02', '03', '00']
        .filter((shard) => shard !== real.slice(4, 6))
        .map((shard) => withChecksum(real.slice(0, 4) + shard + real.slice(6, -6)))
    for (const moved of elsewhere(token)) expect(await costOf(hello(moved))).toEqual({ status: 401, d1: 0, kvReads: 0 })
    const grant = (value: string) =>
      tokenRequest({
        grant_type: 'refresh_token',
        refresh_token: value,
        client_id: app.clientId,
        client_secret: app.clientSecret ?? '',
      })
    const garbage = await costOf(grant('garbage'))
    for (const moved of elsewhere(refreshToken)) expect(await costOf(grant(moved))).toEqual(garbage)
    expect((await costOf(hello(token))).status).toBe(200)
  })

  it('a token the server minted but does not know still reaches the store (the MAC is not the proof)', async () => {
    const unknown = await tokenFormat.mint('access')
    const cost = await costOf(hello(unknown))
    expect(cost.status).toBe(401)
    expect(cost.d1).toBeGreaterThan(0)
  })

  it('new tokens use the keyed format end to end: password grant → /api/hello → refresh; code → tokens', async () => {
    const { app, token, refreshToken } = await passwordToken()
    // In a token shard: two characters of shard number after the prefix (src/crypto/token-format.ts).
    expect(token).toMatch(/^eat_[A-Za-z0-9]{63}$/)
    expect(refreshToken).toMatch(/^ert_[A-Za-z0-9]{63}$/)
    expect(await tokenFormat.isWellFormed(token, 'access')).toBe(true)
    expect(await tokenFormat.isWellFormed(refreshToken, 'refresh')).toBe(true)
    expect((await costOf(hello(token))).status).toBe(200)

    const refreshed = await fetchWithSettings(
      tokenRequest({
        grant_type: 'refresh_token',
        refresh_token: refreshToken,
        client_id: app.clientId,
        client_secret: app.clientSecret ?? '',
      }),
      {},
    )
    expect(refreshed.status).toBe(200)
    const rotated = await refreshed.json<{ access_token: string; refresh_token: string }>()
    expect(await tokenFormat.isWellFormed(rotated.access_token, 'access')).toBe(true)
    expect(await tokenFormat.isWellFormed(rotated.refresh_token, 'refresh')).toBe(true)
    expect((await costOf(hello(rotated.access_token))).status).toBe(200)

    const { code, params } = await authorizationCode()
    expect(code).toMatch(/^eac_[A-Za-z0-9]{63}$/)
    const exchanged = await fetchWithSettings(tokenRequest(params), {})
    expect(exchanged.status).toBe(200)
    const fromCode = await exchanged.json<{ access_token: string }>()
    expect((await costOf(hello(fromCode.access_token))).status).toBe(200)
  })
})

describe('tokens minted before the keyed format stay valid until LEGACY_TOKEN_FORMAT_UNTIL', () => {
  /** Stores a legacy access and refresh token pair as the store did before the upgrade. */
  async function issuedBeforeUpgrade() {
    const user = await makeUser()
    const app = await makeApplication()
    const [accessToken, refreshToken] = [legacyToken('eat'), legacyToken('ert')]
    const now = Math.floor(Date.now() / 1000)
    const access = await db
      .insert(accessTokens)
      .values({
        tokenHash: await sha256Hex(accessToken),
        userId: user.id,
        applicationId: app.id,
        scope: 'read write',
        expiresAt: now + 3600,
      })
      .returning()
      .get()
    const refreshHash = await sha256Hex(refreshToken)
    await db.insert(refreshTokens).values({
      tokenHash: refreshHash,
      accessTokenId: access.id,
      userId: user.id,
      applicationId: app.id,
      scope: 'read write',
      expiresAt: now + 1209600,
    })
    return { app, accessToken, refreshToken }
  }

  it('a legacy access token already issued still works at /api/hello', async () => {
    const { accessToken } = await issuedBeforeUpgrade()
    expect(accessToken).toHaveLength(53)
    expect((await costOf(hello(accessToken))).status).toBe(200)
  })

  it('RFC 6749 §6: a legacy refresh token already issued still refreshes, into keyed tokens', async () => {
    const { app, refreshToken } = await issuedBeforeUpgrade()
    const response = await fetchWithSettings(
      tokenRequest({
        grant_type: 'refresh_token',
        refresh_token: refreshToken,
        client_id: app.clientId,
        client_secret: app.clientSecret ?? '',
      }),
      {},
    )
    expect(response.status).toBe(200)
    const body = await response.json<{ access_token: string; refresh_token: string }>()
    expect(await tokenFormat.isWellFormed(body.access_token, 'access')).toBe(true)
    expect(body.refresh_token).toMatch(/^ert_[A-Za-z0-9]{61}$/)
    expect((await costOf(hello(body.access_token))).status).toBe(200)
  })

  it('until LEGACY_TOKEN_FORMAT_UNTIL; after it a legacy token → 401 with 0 D1 queries and 0 KV reads', async () => {
    const { accessToken } = await issuedBeforeUpgrade()
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString()
    expect((await costOf(hello(accessToken), { LEGACY_TOKEN_FORMAT_UNTIL: tomorrow })).status).toBe(200)
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10)
    // Refused before the cache tiers, though the token sits in this isolate's memory tier now.
    const after = { LEGACY_TOKEN_FORMAT_UNTIL: yesterday }
    expect(await costOf(hello(accessToken), after)).toEqual({ status: 401, d1: 0, kvReads: 0 })
  })
})
