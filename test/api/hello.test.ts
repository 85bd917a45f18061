import { createExecutionContext, env, SELF, waitOnExecutionContext } from 'cloudflare:test'
import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { accessTokens, users } from '../../src/db/schema.ts'
import worker from '../../src/index.ts'
import { d1QueryCount } from '../counting.ts'
import { API_DPOP_CHALLENGE as DPOP_CHALLENGE } from '../dpop.ts'
import { db, everyTokenDb, fetchWorker, passwordToken, tokenDbOf, tokenFormat } from '../helpers.ts'

function hello(authorization?: string, url = 'https://example.com/api/hello') {
  return SELF.fetch(url, { headers: authorization === undefined ? {} : { Authorization: authorization } })
}

describe('GET /api/hello', () => {
  it('answers Hello, OAuth2! to a valid Bearer token', async () => {
    const { token } = await passwordToken()
    const response = await hello(`Bearer ${token}`)
    expect(response.status).toBe(200)
    expect(response.headers.get('Content-Type')).toMatch(/^text\/plain/)
    expect(await response.text()).toBe('Hello, OAuth2!')
  })

  it('RFC 6750 §2.1: the auth scheme is case-insensitive', async () => {
    const { token } = await passwordToken()
    expect((await hello(`bearer ${token}`)).status).toBe(200)
    expect((await hello(`BEARER ${token}`)).status).toBe(200)
  })

  it('RFC 6750 §3.1 / RFC 7235 §4.1: no credentials → 401 with a bare challenge for each accepted scheme', async () => {
    const response = await hello()
    expect(response.status).toBe(401)
    expect(response.headers.get('WWW-Authenticate')).toBe(
      'Bearer realm="api", resource_metadata="https://example.com/.well-known/oauth-protected-resource/api", Token, ' +
        DPOP_CHALLENGE,
    )
    expect(await response.json()).toEqual({ detail: 'Authentication credentials were not provided.' })
  })

  it('an unknown scheme counts as no credentials (DRF)', async () => {
    const response = await hello('Digest abc')
    expect(response.status).toBe(401)
    expect(await response.json()).toEqual({ detail: 'Authentication credentials were not provided.' })
  })

  it('RFC 6750 §3.1: Bearer without a token → 400 invalid_request', async () => {
    const response = await hello('Bearer')
    expect(response.status).toBe(400)
    expect(response.headers.get('WWW-Authenticate')).toBe(
      'Bearer realm="api", error="invalid_request", resource_metadata="https://example.com/.well-known/oauth-protected-resource/api"',
    )
    expect(await response.json()).toEqual({ detail: 'Invalid token header. No credentials provided.' })
  })

  it('RFC 6750 §3.1: a token with spaces → 400 invalid_request', async () => {
    const response = await hello('Bearer abc def')
    expect(response.status).toBe(400)
    expect(await response.json()).toEqual({ detail: 'Invalid token header. Token string should not contain spaces.' })
  })

  it('RFC 6750 §3.1: an unknown token → 401 invalid_token', async () => {
    // Minted with the server's key (checksum and MAC right), but never stored.
    const unknown = await tokenFormat.mint('access')
    for (const value of [unknown, 'not-a-token', 'x'.repeat(600), 'bad!chars']) {
      const response = await hello(`Bearer ${value}`)
      expect(response.status).toBe(401)
      expect(response.headers.get('WWW-Authenticate')).toBe(
        'Bearer realm="api", error="invalid_token", resource_metadata="https://example.com/.well-known/oauth-protected-resource/api", Token, ' +
          DPOP_CHALLENGE,
      )
      expect(await response.json()).toEqual({ detail: 'Invalid token.' })
    }
  })

  it('RFC 6750 §3.1: an expired token → 401 invalid_token, from D1 and from the KV cache', async () => {
    const { token } = await passwordToken()
    expect((await hello(`Bearer ${token}`)).status).toBe(200)
    const past = Math.floor(Date.now() / 1000) - 1
    for (const tokens of everyTokenDb()) await tokens.update(accessTokens).set({ expiresAt: past })
    // KV still holds the live context: the expiry recorded in it must be re-checked too.
    for (const key of (await env.TOKEN_CACHE.list()).keys) {
      const context = await env.TOKEN_CACHE.get<Record<string, unknown>>(key.name, 'json')
      await env.TOKEN_CACHE.put(key.name, JSON.stringify({ ...context, expiresAt: past }))
    }
    const cached = await hello(`Bearer ${token}`)
    expect(cached.status).toBe(401)
    expect(await cached.json()).toEqual({ detail: 'Invalid token.' })
    for (const key of (await env.TOKEN_CACHE.list()).keys) await env.TOKEN_CACHE.delete(key.name)
    expect((await hello(`Bearer ${token}`)).status).toBe(401)
  })

  it('RFC 9700 §4.3.2: a token in the query string is not honoured', async () => {
    const { token } = await passwordToken()
    const response = await hello(undefined, `https://example.com/api/hello?access_token=${token}`)
    expect(response.status).toBe(401)
  })

  it('a token cached in KV is checked without any D1 query', async () => {
    const { token } = await passwordToken()
    const before = d1QueryCount()
    const response = await fetchWorker(
      new Request('https://example.com/api/hello', { headers: { Authorization: `Bearer ${token}` } }),
    )
    expect(response.status).toBe(200)
    expect(d1QueryCount() - before).toBe(0)
  })

  it('a KV miss reads its token shard and the main database once each, writes the context back to KV, then confirms it on the shard’s primary', async () => {
    const { token } = await passwordToken()
    for (const key of (await env.TOKEN_CACHE.list()).keys) await env.TOKEN_CACHE.delete(key.name)
    const ctx = createExecutionContext()
    const before = d1QueryCount()
    const request = new Request('https://example.com/api/hello', { headers: { Authorization: `Bearer ${token}` } })
    expect((await worker.fetch(request, env, ctx)).status).toBe(200)
    // The token's row, then its client and user (one statement).
    expect(d1QueryCount() - before).toBe(2)
    // In the background, after the response: one more query proves no revocation raced the write-back.
    await waitOnExecutionContext(ctx)
    expect(d1QueryCount() - before).toBe(3)
    const { db: shard } = await tokenDbOf(token)
    const [row] = await shard.select({ tokenHash: accessTokens.tokenHash }).from(accessTokens).orderBy(accessTokens.id)
    expect(row).toBeDefined()
    const keys = (await env.TOKEN_CACHE.list()).keys.map((key) => key.name)
    expect(keys.length).toBeGreaterThan(0)
  })

  it('an inactive user’s token is refused once the cache no longer vouches for it', async () => {
    const { token, user } = await passwordToken()
    await db.update(users).set({ isActive: false }).where(eq(users.id, user.id))
    for (const key of (await env.TOKEN_CACHE.list()).keys) await env.TOKEN_CACHE.delete(key.name)
    expect((await hello(`Bearer ${token}`)).status).toBe(401)
  })
})
