import { env } from 'cloudflare:test'
import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { sha256Hex } from '../../src/crypto/digest.ts'
import { apiKeys, users } from '../../src/db/schema.ts'
import {
  issueApiKey,
  listApiKeys,
  MAX_API_KEYS_PER_USER,
  replaceApiKeys,
  revokeApiKey,
} from '../../src/tokens/api-keys.ts'
import { KV_NON_EXPIRING_TTL_SECONDS as API_KEY_CACHE_TTL_SECONDS } from '../../src/tokens/cache.ts'
import { revokeUserTokens } from '../../src/tokens/revocation.ts'
import { d1QueryCount } from '../counting.ts'
import { API_DPOP_CHALLENGE as DPOP_CHALLENGE } from '../dpop.ts'
import { api, db, fetchWorker, makeUser, passwordToken, storeToken, testStore } from '../helpers.ts'

async function userWithKey() {
  const user = await makeUser()
  const { key } = await issueApiKey(testStore(), user.id)
  return { user, key }
}

/** Calls /api/hello and waits for background cache writes, so KV holds what the call cached. */
function helloSettled(authorization: string) {
  return fetchWorker(new Request('https://example.com/api/hello', { headers: { Authorization: authorization } }))
}

describe('Authorization: Token <key> (DRF TokenAuthentication)', () => {
  it('a key is 40 lowercase hex characters and is accepted on every /api/* route', async () => {
    const { key } = await userWithKey()
    expect(key).toMatch(/^[0-9a-f]{40}$/)
    const authorization = `Token ${key}`
    const hello = await api('/api/hello', { authorization })
    expect(hello.status).toBe(200)
    expect(await hello.text()).toBe('Hello, OAuth2!')
    expect((await api('/api/users/', { authorization })).status).toBe(200)
    expect((await api('/api/build-trigger/', { method: 'POST', authorization })).status).toBe(200)
  })

  it('the scheme name is case-insensitive', async () => {
    const { key } = await userWithKey()
    expect((await api('/api/hello', { authorization: `token ${key}` })).status).toBe(200)
  })

  it('a key is not scoped: it passes both the read and the write guard', async () => {
    const { key } = await userWithKey()
    const authorization = `Token ${key}`
    expect((await api('/api/users/', { authorization })).status).toBe(200)
    const created = await api('/api/users/', {
      authorization,
      json: { username: `bykey${Date.now()}`, password: 'plaid kettle orbit 42' },
    })
    expect(created.status).toBe(201)
  })

  it('no credentials → 401 "Authentication credentials were not provided."', async () => {
    const response = await api('/api/hello')
    expect(response.status).toBe(401)
    expect(await response.json()).toEqual({ detail: 'Authentication credentials were not provided.' })
  })

  it('unknown key → 401 "Invalid token." with a Token challenge', async () => {
    for (const value of [
      '0'.repeat(40),
      'ABCDEF'.repeat(7).slice(0, 40),
      'short',
      'not hex at all!'.replace(/ /g, ''),
    ]) {
      const response = await api('/api/hello', { authorization: `Token ${value}` })
      expect(response.status, value).toBe(401)
      // DRF's Token challenge first, then the other scheme the API accepts (RFC 7235 §4.1).
      expect(response.headers.get('WWW-Authenticate')).toBe(
        'Token, Bearer realm="api", resource_metadata="https://example.com/.well-known/oauth-protected-resource/api", ' +
          DPOP_CHALLENGE,
      )
      expect(await response.json()).toEqual({ detail: 'Invalid token.' })
    }
  })

  it('`Token` with no key → 401 "Invalid token header. No credentials provided."', async () => {
    for (const authorization of ['Token', 'Token   ']) {
      const response = await api('/api/hello', { authorization })
      expect(response.status).toBe(401)
      expect(await response.json()).toEqual({ detail: 'Invalid token header. No credentials provided.' })
    }
  })

  it('a key with spaces → 401 "Invalid token header. Token string should not contain spaces."', async () => {
    const { key } = await userWithKey()
    const response = await api('/api/hello', { authorization: `Token ${key.slice(0, 20)} ${key.slice(20)}` })
    expect(response.status).toBe(401)
    expect(await response.json()).toEqual({ detail: 'Invalid token header. Token string should not contain spaces.' })
  })

  it('inactive user → 401 "User inactive or deleted." once its bounded cache entry is gone', async () => {
    const { user, key } = await userWithKey()
    expect((await helloSettled(`Token ${key}`)).status).toBe(200)
    await db.update(users).set({ isActive: false }).where(eq(users.id, user.id))
    // Deactivation straight in D1 is seen once the bounded cache entry is gone.
    await env.TOKEN_CACHE.delete(`ak:${await sha256Hex(key)}`)
    const response = await api('/api/hello', { authorization: `Token ${key}` })
    expect(response.status).toBe(401)
    expect(await response.json()).toEqual({ detail: 'User inactive or deleted.' })
  })

  it('the key is stored only as its SHA-256 digest, and cached in KV under it with a bounded TTL', async () => {
    const { user, key } = await userWithKey()
    const row = await db.select().from(apiKeys).where(eq(apiKeys.userId, user.id)).get()
    expect(row?.keyHash).toBe(await sha256Hex(key))
    expect(JSON.stringify(row)).not.toContain(key)
    expect((await helloSettled(`Token ${key}`)).status).toBe(200)
    const listed = await env.TOKEN_CACHE.list({ prefix: 'ak:' })
    const entry = listed.keys.find((item) => item.name === `ak:${row?.keyHash}`)
    expect(entry).toBeDefined()
    const now = Date.now() / 1000
    expect(entry?.expiration).toBeGreaterThan(now)
    expect(entry?.expiration).toBeLessThanOrEqual(now + API_KEY_CACHE_TTL_SECONDS + 1)
    expect(await env.TOKEN_CACHE.get(`ak:${row?.keyHash}`)).not.toContain(key)
  })

  it('a cached key needs no D1 query', async () => {
    const { key } = await userWithKey()
    expect((await helloSettled(`Token ${key}`)).status).toBe(200)
    const before = d1QueryCount()
    expect((await helloSettled(`Token ${key}`)).status).toBe(200)
    expect(d1QueryCount() - before).toBe(0)
  })

  it('regenerating (drf_create_token -r) invalidates every old key at once, even when cached, and issues one', async () => {
    const { user, key: oldKey } = await userWithKey()
    const { key: otherKey } = await issueApiKey(testStore(), user.id)
    expect((await helloSettled(`Token ${oldKey}`)).status).toBe(200)
    expect(await env.TOKEN_CACHE.get(`ak:${await sha256Hex(oldKey)}`)).not.toBeNull()
    const { key: newKey } = await replaceApiKeys(testStore(), user.id)
    expect(newKey).not.toBe(oldKey)
    expect(await env.TOKEN_CACHE.get(`ak:${await sha256Hex(oldKey)}`)).toBeNull()
    for (const revoked of [oldKey, otherKey]) {
      const old = await api('/api/hello', { authorization: `Token ${revoked}` })
      expect(old.status).toBe(401)
      expect(await old.json()).toEqual({ detail: 'Invalid token.' })
    }
    expect((await api('/api/hello', { authorization: `Token ${newKey}` })).status).toBe(200)
    expect(await listApiKeys(db, user.id)).toHaveLength(1)
  })

  it('several keys per user (one per device): each works, is listed by id and prefix (never its digest), and is revoked on its own', async () => {
    const { user, key: first } = await userWithKey()
    const second = await issueApiKey(testStore(), user.id)
    expect(second.prefix).toBe(second.key.slice(0, 8))
    for (const key of [first, second.key]) {
      expect((await helloSettled(`Token ${key}`)).status).toBe(200)
    }
    const listed = await listApiKeys(db, user.id)
    expect(listed.map((key) => key.prefix)).toEqual([second.prefix, first.slice(0, 8)])
    expect(listed[0]).toEqual({ id: second.id, prefix: second.prefix, created: expect.any(Date) })
    expect(JSON.stringify(listed)).not.toContain(await sha256Hex(first))
    // Another user's id is not theirs to revoke.
    const other = await makeUser()
    expect(await revokeApiKey(testStore(), other.id, second.id)).toBe(false)
    expect(await revokeApiKey(testStore(), user.id, second.id)).toBe(true)
    expect(await env.TOKEN_CACHE.get(`ak:${await sha256Hex(second.key)}`)).toBeNull()
    expect((await api('/api/hello', { authorization: `Token ${second.key}` })).status).toBe(401)
    expect((await api('/api/hello', { authorization: `Token ${first}` })).status).toBe(200)
    expect(await revokeApiKey(testStore(), user.id, second.id)).toBe(false)
    // Every key of the user at once (`manage revoketokens --user`).
    expect(await listApiKeys(db, user.id)).toHaveLength(1)
    await revokeUserTokens(testStore(), user.id)
    expect((await api('/api/hello', { authorization: `Token ${first}` })).status).toBe(401)
    expect(await listApiKeys(db, user.id)).toEqual([])
  })

  it(`at most ${MAX_API_KEYS_PER_USER} keys per user: one more revokes the oldest, even when cached`, async () => {
    const { user, key: oldest } = await userWithKey()
    expect((await helloSettled(`Token ${oldest}`)).status).toBe(200)
    const { key: second } = await issueApiKey(testStore(), user.id)
    // Filled straight in D1 up to the cap: the cap counts rows, whatever made them.
    const filler = Array.from({ length: MAX_API_KEYS_PER_USER - 2 }, (_, i) => ({
      keyHash: `filler-${user.id}-${i}`,
      userId: user.id,
    }))
    await db.insert(apiKeys).values(filler)
    expect(await listApiKeys(db, user.id)).toHaveLength(MAX_API_KEYS_PER_USER)
    const { key: newest } = await issueApiKey(testStore(), user.id)
    expect(await listApiKeys(db, user.id)).toHaveLength(MAX_API_KEYS_PER_USER)
    expect(await env.TOKEN_CACHE.get(`ak:${await sha256Hex(oldest)}`)).toBeNull()
    expect((await api('/api/hello', { authorization: `Token ${oldest}` })).status).toBe(401)
    expect((await api('/api/hello', { authorization: `Token ${second}` })).status).toBe(200)
    expect((await api('/api/hello', { authorization: `Token ${newest}` })).status).toBe(200)
  })

  it('Bearer is still accepted next to Token', async () => {
    const { token } = await passwordToken()
    expect((await api('/api/hello', { authorization: `Bearer ${token}` })).status).toBe(200)
  })
})

describe('POST /api-token-auth/ (DRF obtain_auth_token)', () => {
  it('username + password (form) → {"token": key}, usable at once', async () => {
    const user = await makeUser()
    const response = await api('/api-token-auth/', { form: { username: user.username, password: user.plainPassword } })
    expect(response.status).toBe(200)
    expect(response.headers.get('Cache-Control')).toBe('no-store')
    const { token } = await response.json<{ token: string }>()
    expect(token).toMatch(/^[0-9a-f]{40}$/)
    expect((await api('/api/hello', { authorization: `Token ${token}` })).status).toBe(200)
  })

  it('accepts JSON; a second call (another device) issues a second key and the first keeps working', async () => {
    const user = await makeUser()
    const obtain = async () =>
      (
        await (
          await api('/api-token-auth/', { json: { username: user.username, password: user.plainPassword } })
        ).json<{ token: string }>()
      ).token
    const first = await obtain()
    const second = await obtain()
    expect(second).not.toBe(first)
    expect((await api('/api/hello', { authorization: `Token ${first}` })).status).toBe(200)
    expect((await api('/api/hello', { authorization: `Token ${second}` })).status).toBe(200)
    expect(await listApiKeys(db, user.id)).toHaveLength(2)
  })

  it.each([
    ['a wrong password', (username: string) => ({ username, password: 'wrong' })],
    ['an unknown user', () => ({ username: 'nobody-here', password: 'whatever' })],
  ])('400 non_field_errors for %s', async (_name, body) => {
    const user = await makeUser()
    const response = await api('/api-token-auth/', { form: body(user.username) })
    expect(response.status).toBe(400)
    expect(await response.json()).toEqual({ non_field_errors: ['Unable to log in with provided credentials.'] })
  })

  it('400 non_field_errors for an inactive user', async () => {
    const user = await makeUser({ isActive: false })
    const response = await api('/api-token-auth/', { form: { username: user.username, password: user.plainPassword } })
    expect(response.status).toBe(400)
    expect(await response.json()).toEqual({ non_field_errors: ['Unable to log in with provided credentials.'] })
  })

  it('400 with every missing field', async () => {
    const response = await api('/api-token-auth/', { json: {} })
    expect(response.status).toBe(400)
    expect(await response.json()).toEqual({
      username: ['This field is required.'],
      password: ['This field is required.'],
    })
    const blank = await api('/api-token-auth/', { form: { username: '', password: '' } })
    expect(await blank.json()).toEqual({
      username: ['This field may not be blank.'],
      password: ['This field may not be blank.'],
    })
  })

  it('405 for GET', async () => {
    const response = await api('/api-token-auth/')
    expect(response.status).toBe(405)
    expect(response.headers.get('Allow')).toBe('POST, DELETE')
    expect(await response.json()).toEqual({ detail: 'Method "GET" not allowed.' })
  })
})

describe('DELETE /api-token-auth/ (log this device out, as knox’s logout)', () => {
  it('204: the key that authenticates it stops working at once, even when cached; the user’s other keys keep working', async () => {
    const { user, key } = await userWithKey()
    const { key: other } = await issueApiKey(testStore(), user.id)
    expect((await helloSettled(`Token ${key}`)).status).toBe(200)
    const response = await api('/api-token-auth/', { method: 'DELETE', authorization: `Token ${key}` })
    expect(response.status).toBe(204)
    expect(await response.text()).toBe('')
    expect(await env.TOKEN_CACHE.get(`ak:${await sha256Hex(key)}`)).toBeNull()
    const after = await api('/api/hello', { authorization: `Token ${key}` })
    expect(after.status).toBe(401)
    expect(await after.json()).toEqual({ detail: 'Invalid token.' })
    expect((await api('/api/hello', { authorization: `Token ${other}` })).status).toBe(200)
    // The revoked key cannot revoke again.
    expect((await api('/api-token-auth/', { method: 'DELETE', authorization: `Token ${key}` })).status).toBe(401)
  })

  it('401 with DRF’s Token challenge without a key, with an unknown key, and for an inactive user', async () => {
    const none = await api('/api-token-auth/', { method: 'DELETE' })
    expect(none.status).toBe(401)
    expect(none.headers.get('WWW-Authenticate')).toBe('Token')
    expect(await none.json()).toEqual({ detail: 'Authentication credentials were not provided.' })
    const unknown = await api('/api-token-auth/', { method: 'DELETE', authorization: `Token ${'0'.repeat(40)}` })
    expect(unknown.status).toBe(401)
    expect(unknown.headers.get('WWW-Authenticate')).toBe('Token')
    expect(await unknown.json()).toEqual({ detail: 'Invalid token.' })
    const { user, key } = await userWithKey()
    await db.update(users).set({ isActive: false }).where(eq(users.id, user.id))
    const inactive = await api('/api-token-auth/', { method: 'DELETE', authorization: `Token ${key}` })
    expect(inactive.status).toBe(401)
    expect(await inactive.json()).toEqual({ detail: 'User inactive or deleted.' })
  })

  it('an OAuth2 access token cannot revoke keys: Bearer counts as no credentials (401), nothing revoked', async () => {
    const { token, user } = await passwordToken('read write')
    const { key } = await issueApiKey(testStore(), user.id)
    const response = await api('/api-token-auth/', { method: 'DELETE', authorization: `Bearer ${token}` })
    expect(response.status).toBe(401)
    expect(response.headers.get('WWW-Authenticate')).toBe('Token')
    expect(await response.json()).toEqual({ detail: 'Authentication credentials were not provided.' })
    expect((await api('/api/hello', { authorization: `Token ${key}` })).status).toBe(200)
  })
})

describe('POST /api/build-trigger/ (the DRF tutorial BuildTrigger view)', () => {
  it('200 with an empty body for a Token key', async () => {
    const { key } = await userWithKey()
    const response = await api('/api/build-trigger/', { method: 'POST', authorization: `Token ${key}` })
    expect(response.status).toBe(200)
    expect(await response.text()).toBe('')
  })

  it('200 for a Bearer token with the write scope', async () => {
    const { token } = await passwordToken('write')
    const response = await api('/api/build-trigger/', { method: 'POST', authorization: `Bearer ${token}` })
    expect(response.status).toBe(200)
    expect(await response.text()).toBe('')
  })

  it('RFC 6750 §3.1: 403 insufficient_scope for a Bearer token without write', async () => {
    const { token } = await passwordToken('read')
    const response = await api('/api/build-trigger/', { method: 'POST', authorization: `Bearer ${token}` })
    expect(response.status).toBe(403)
    expect(response.headers.get('WWW-Authenticate')).toBe(
      'Bearer realm="api", error="insufficient_scope", scope="write", resource_metadata="https://example.com/.well-known/oauth-protected-resource/api"',
    )
    expect(await response.json()).toEqual({ detail: 'You do not have permission to perform this action.' })
  })

  it('403 for a token that acts for no user', async () => {
    const token = await storeToken({ scopes: ['write'] })
    const response = await api('/api/build-trigger/', { method: 'POST', authorization: `Bearer ${token}` })
    expect(response.status).toBe(403)
    expect(await response.json()).toEqual({ detail: 'You do not have permission to perform this action.' })
  })

  it('401 without credentials', async () => {
    const response = await api('/api/build-trigger/', { method: 'POST' })
    expect(response.status).toBe(401)
    expect(await response.json()).toEqual({ detail: 'Authentication credentials were not provided.' })
  })

  it.each(['GET', 'PUT', 'PATCH', 'DELETE'])('405 for %s with Allow: POST', async (method) => {
    const { key } = await userWithKey()
    const response = await api('/api/build-trigger/', { method, authorization: `Token ${key}` })
    expect(response.status).toBe(405)
    expect(response.headers.get('Allow')).toBe('POST')
    expect(await response.json()).toEqual({ detail: `Method "${method}" not allowed.` })
  })
})
