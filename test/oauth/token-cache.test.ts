/**
 * The token cache tiers (src/tokens/cache.ts) against the real KV binding, and what a
 * request costs in D1 queries and KV reads with the memory tier on.
 */
import { env } from 'cloudflare:test'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { type TokenFormat, withChecksum } from '../../src/crypto/token-format.ts'
import { lookupAccessToken } from '../../src/tokens/access-tokens.ts'
import type { AuthContext } from '../../src/tokens/auth-context.ts'
import {
  type CacheSettings,
  type CacheTiers,
  cachedLookup,
  cacheIssued,
  forgetCached,
  forgetUnknownCredentials,
  memoryCacheSize,
} from '../../src/tokens/cache.ts'
import { d1QueryCount, kvReadCount, kvWriteCount } from '../counting.ts'
import { fetchWorker, passwordToken, testStore, tokenFormat, unique } from '../helpers.ts'

const ON: CacheSettings = { memorySeconds: 5, memoryEntries: 100, negativeSeconds: 60 }

function tiers(cache: Partial<CacheSettings> = {}): CacheTiers & { settled: () => Promise<unknown> } {
  const pending: Promise<unknown>[] = []
  return {
    kv: env.TOKEN_CACHE,
    waitUntil: (promise) => void pending.push(promise),
    cache: { ...ON, ...cache },
    settled: () => Promise.all(pending),
  }
}

function context(expiresIn = 3600): AuthContext {
  return {
    scheme: 'bearer',
    userId: 1,
    username: 'alice',
    clientId: 'client',
    applicationId: 1,
    scopes: ['read'],
    expiresAt: Math.floor(Date.now() / 1000) + expiresIn,
  }
}

/** The D1 read a lookup falls back to: counts its calls and returns what the test says D1 holds. */
function loader(value: AuthContext | null) {
  return vi.fn(async () => value)
}

afterEach(() => {
  vi.useRealTimers()
})

/** The primary still holds the credential (see writeConfirmed in src/tokens/cache.ts). */
const stands = async () => true

describe('cachedLookup', () => {
  it('a memory hit makes no KV read and calls no loader', async () => {
    const t = tiers()
    const key = unique('at:')
    const load = loader(context())
    expect(await cachedLookup(t, key, load, stands)).toMatchObject({ username: 'alice' })
    await t.settled()
    const reads = kvReadCount()
    expect(await cachedLookup(t, key, load, stands)).toMatchObject({ username: 'alice' })
    expect(kvReadCount() - reads).toBe(0)
    expect(load).toHaveBeenCalledTimes(1)
  })

  it('a miss in every tier loads once and writes the context back to KV', async () => {
    const t = tiers({ memorySeconds: 0 })
    const key = unique('at:')
    const load = loader(context())
    await cachedLookup(t, key, load, stands)
    await t.settled()
    expect(await env.TOKEN_CACHE.get(key, 'json')).toMatchObject({ username: 'alice' })
    await cachedLookup(t, key, load, stands)
    expect(load).toHaveBeenCalledTimes(1)
  })

  it('memory tier off (0 s): every lookup reads KV', async () => {
    const t = tiers({ memorySeconds: 0 })
    const key = unique('at:')
    await env.TOKEN_CACHE.put(key, JSON.stringify(context()))
    const reads = kvReadCount()
    for (let i = 0; i < 3; i++) await cachedLookup(t, key, loader(null), stands)
    expect(kvReadCount() - reads).toBe(3)
  })

  it('a memory entry expires after memorySeconds, then KV answers again', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const t = tiers({ memorySeconds: 5 })
    const key = unique('at:')
    await env.TOKEN_CACHE.put(key, JSON.stringify(context()))
    await cachedLookup(t, key, loader(null), stands)
    const reads = kvReadCount()
    vi.setSystemTime(Date.now() + 3_000) // before the refresh-ahead window (last 20 %)
    await cachedLookup(t, key, loader(null), stands)
    expect(kvReadCount() - reads).toBe(0)
    vi.setSystemTime(Date.now() + 3_000)
    await cachedLookup(t, key, loader(null), stands)
    expect(kvReadCount() - reads).toBe(1)
  })

  it('refresh-ahead: near its end, one hit re-reads KV in the background and renews the entry', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const t = tiers({ memorySeconds: 10 })
    const key = unique('at:')
    await env.TOKEN_CACHE.put(key, JSON.stringify(context()))
    await cachedLookup(t, key, loader(null), stands)
    const reads = kvReadCount()
    vi.setSystemTime(Date.now() + 8_500) // inside the last 20 % of the entry's 10 s
    for (let i = 0; i < 5; i++) expect(await cachedLookup(t, key, loader(null), stands)).not.toBeNull()
    await t.settled()
    expect(kvReadCount() - reads).toBe(1)
    vi.setSystemTime(Date.now() + 5_000) // past the first entry's end, inside the renewed one
    expect(await cachedLookup(t, key, loader(null), stands)).not.toBeNull()
    expect(kvReadCount() - reads).toBe(1)
  })

  it('refresh-ahead drops the memory entry when KV no longer has the token (revoked elsewhere)', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const t = tiers({ memorySeconds: 10 })
    const key = unique('at:')
    await env.TOKEN_CACHE.put(key, JSON.stringify(context()))
    await cachedLookup(t, key, loader(null), stands)
    await env.TOKEN_CACHE.delete(key)
    vi.setSystemTime(Date.now() + 9_000)
    await cachedLookup(t, key, loader(null), stands)
    await t.settled()
    const load = loader(null)
    expect(await cachedLookup(t, key, load, stands)).toBeNull()
    expect(load).toHaveBeenCalledTimes(1)
  })

  it('a memory entry never outlives its token: the expiry is re-checked on a hit', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const t = tiers({ memorySeconds: 60 })
    const key = unique('at:')
    const load = loader(context(10))
    expect(await cachedLookup(t, key, load, stands)).not.toBeNull()
    vi.setSystemTime(Date.now() + 11_000)
    await env.TOKEN_CACHE.delete(key)
    expect(await cachedLookup(t, key, loader(null), stands)).toBeNull()
  })

  it('the LRU holds at most memoryEntries entries and evicts the least recently used', async () => {
    const t = tiers({ memoryEntries: 3 })
    const keys = [unique('at:'), unique('at:'), unique('at:'), unique('at:')]
    for (const key of keys.slice(0, 3)) await cachedLookup(t, key, loader(context()), stands)
    await cachedLookup(t, keys[0], loader(context()), stands) // keys[0] is now the most recent
    await cachedLookup(t, keys[3], loader(context()), stands) // evicts keys[1]
    await t.settled()
    expect(memoryCacheSize()).toBeLessThanOrEqual(3)
    const reads = kvReadCount()
    await cachedLookup(t, keys[0], loader(null), stands)
    expect(kvReadCount() - reads).toBe(0)
    await cachedLookup(t, keys[1], loader(null), stands)
    expect(kvReadCount() - reads).toBe(1)
  })

  it('negative cache: an unknown digest costs one KV read and one load, then nothing', async () => {
    const t = tiers()
    const key = unique('at:')
    const load = loader(null)
    const [reads, writes] = [kvReadCount(), kvWriteCount()]
    for (let i = 0; i < 5; i++) expect(await cachedLookup(t, key, load, stands)).toBeNull()
    await t.settled()
    expect(load).toHaveBeenCalledTimes(1)
    expect(kvReadCount() - reads).toBe(1)
    expect(kvWriteCount() - writes).toBe(0)
  })

  it('negative cache off (0 s): every lookup of an unknown digest loads again', async () => {
    const t = tiers({ negativeSeconds: 0 })
    const load = loader(null)
    const key = unique('at:')
    for (let i = 0; i < 3; i++) await cachedLookup(t, key, load, stands)
    expect(load).toHaveBeenCalledTimes(3)
  })

  it('a negative entry expires after negativeSeconds', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const t = tiers({ negativeSeconds: 30 })
    const key = unique('at:')
    const load = loader(null)
    await cachedLookup(t, key, load, stands)
    vi.setSystemTime(Date.now() + 31_000)
    await cachedLookup(t, key, load, stands)
    expect(load).toHaveBeenCalledTimes(2)
  })

  it('forgetUnknownCredentials drops the negative entries and keeps the known ones (reactivation)', async () => {
    const t = tiers({ memorySeconds: 30 })
    const [unknown, known] = [unique('at:'), unique('at:')]
    const loadUnknown = loader(null)
    const loadKnown = loader(context())
    await cachedLookup(t, unknown, loadUnknown, stands)
    await cachedLookup(t, known, loadKnown, stands)
    await t.settled()
    forgetUnknownCredentials()
    await cachedLookup(t, unknown, loadUnknown, stands)
    await cachedLookup(t, known, loadKnown, stands)
    expect(loadUnknown).toHaveBeenCalledTimes(2)
    expect(loadKnown).toHaveBeenCalledTimes(1)
  })

  it('forgetCached drops the memory entry and the KV key (revocation in this isolate)', async () => {
    const t = tiers()
    const key = unique('at:')
    await cachedLookup(t, key, loader(context()), stands)
    await t.settled()
    await forgetCached(t, key)
    expect(await env.TOKEN_CACHE.get(key)).toBeNull()
    expect(await cachedLookup(t, key, loader(null), stands)).toBeNull()
  })

  it('a revocation between the D1 read and the KV write-back is not undone by the write-back', async () => {
    const t = tiers({ memorySeconds: 0 })
    const key = unique('at:')
    // The loader saw the token; by the time the write-back lands, the primary no longer has it.
    expect(await cachedLookup(t, key, loader(context()), async () => false)).toMatchObject({ username: 'alice' })
    await t.settled()
    expect(await env.TOKEN_CACHE.get(key)).toBeNull()
  })

  it('a token issued and revoked at once (a lost race) is not left in KV', async () => {
    const t = tiers({ memorySeconds: 0 })
    const key = unique('at:')
    await cacheIssued(t, key, context(), async () => false)
    await t.settled()
    expect(await env.TOKEN_CACHE.get(key)).toBeNull()
  })
})

describe('lookupAccessToken', () => {
  // The hot path's one hash is the digest: a token remembered under it passed the MAC check once.
  it('a token this isolate remembers is not MAC-checked again; a forged one still is, before any I/O', async () => {
    const { token } = await passwordToken()
    const checks: string[] = []
    // shardOf checks the MAC and reads the shard it names: the check a lookup makes before any I/O.
    const format: TokenFormat = {
      ...tokenFormat,
      shardOf: (token, kind) => {
        checks.push(token)
        return tokenFormat.shardOf(token, kind)
      },
    }
    const store = { ...testStore(), format, cache: ON }
    // The first lookup may find it remembered at issue (cacheIssued) or check it; the next never does.
    expect(await lookupAccessToken(store, token)).not.toBeNull()
    const checked = checks.length
    expect(checked).toBeLessThanOrEqual(1)
    expect(await lookupAccessToken(store, token)).not.toBeNull()
    expect(checks.length).toBe(checked)

    // Same shape and checksum, another MAC: refused by the MAC, with no KV read or D1 query.
    // The MAC is the 12 characters before the 6 of the checksum (whatever the shard number's length).
    const body = token.slice(0, -18)
    const forged = withChecksum(`${body}${'A'.repeat(12)}`)
    const [reads, queries] = [kvReadCount(), d1QueryCount()]
    expect(await lookupAccessToken(store, forged)).toBeNull()
    expect(checks.at(-1)).toBe(forged)
    expect([kvReadCount() - reads, d1QueryCount() - queries]).toEqual([0, 0])
  })
})

describe('what a request to /api/hello costs', () => {
  /** The test bindings with some settings changed (Env types [vars] as wrangler.toml's literals). */
  const withSettings = (settings: Record<string, string>) => ({ ...env, ...settings }) as unknown as Env
  const cacheOn = withSettings({ TOKEN_MEMORY_CACHE_SECONDS: '5', TOKEN_NEGATIVE_CACHE_SECONDS: '60' })

  function hello(token: string, bindings: Env = cacheOn) {
    return fetchWorker(
      new Request('https://example.com/api/hello', { headers: { Authorization: `Bearer ${token}` } }),
      bindings,
    )
  }

  function costOf(run: () => Promise<unknown>) {
    return async () => {
      const [queries, reads, writes] = [d1QueryCount(), kvReadCount(), kvWriteCount()]
      await run()
      return { d1: d1QueryCount() - queries, kvReads: kvReadCount() - reads, kvWrites: kvWriteCount() - writes }
    }
  }

  it('a garbage Bearer token (bad check value) costs 0 D1 queries and 0 KV reads', async () => {
    const garbage = ['eat_0000000000000000000000000000000000000000000000000', 'abc', 'x'.repeat(100)]
    for (const token of garbage) {
      const cost = await costOf(async () => expect((await hello(token)).status).toBe(401))()
      expect(cost).toEqual({ d1: 0, kvReads: 0, kvWrites: 0 })
    }
  })

  it('an isolate-cache hit costs 0 D1 queries and 0 KV reads', async () => {
    const { token } = await passwordToken()
    expect((await hello(token)).status).toBe(200)
    const cost = await costOf(async () => expect((await hello(token)).status).toBe(200))()
    expect(cost).toEqual({ d1: 0, kvReads: 0, kvWrites: 0 })
  })

  it('with the isolate cache off, a hit costs 1 KV read and 0 D1 queries', async () => {
    const { token } = await passwordToken()
    const off = withSettings({ TOKEN_MEMORY_CACHE_SECONDS: '0' })
    expect((await hello(token, off)).status).toBe(200)
    const cost = await costOf(async () => expect((await hello(token, off)).status).toBe(200))()
    expect(cost).toEqual({ d1: 0, kvReads: 1, kvWrites: 0 })
  })

  it('a well-formed unknown token: the first costs D1, repeats cost nothing and write nothing', async () => {
    const unknown = await tokenFormat.mint('access') // minted with the server's key, never stored
    const first = await costOf(async () => expect((await hello(unknown)).status).toBe(401))()
    expect(first.d1).toBeGreaterThan(0)
    expect(first.kvWrites).toBe(0)
    for (let i = 0; i < 3; i++) {
      const cost = await costOf(async () => expect((await hello(unknown)).status).toBe(401))()
      expect(cost).toEqual({ d1: 0, kvReads: 0, kvWrites: 0 })
    }
  })
})
