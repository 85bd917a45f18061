/**
 * @module
 * The cache tiers in front of D1 for every token lookup (access tokens, and any other
 * credential that resolves to an AuthContext): a per-isolate in-memory LRU, then KV, then
 * the caller's D1 read. One entry point, `cachedLookup`, so every kind of token gets the
 * same rules:
 * - memory: bounded LRU; an entry lives at most `memorySeconds` (0 turns the tier off).
 *   Revocation deletes the KV key and this isolate's entry; another isolate may still
 *   answer from memory for at most `memorySeconds` — the price of skipping KV. In the last
 *   part of an entry's life, one request re-reads KV in the background (refresh-ahead), so a
 *   token in steady use costs one KV read per `memorySeconds`, not one per request in flight
 *   at the moment it would expire; a token gone from KV is dropped from memory at once.
 * - negative: a digest that D1 does not know is remembered in memory for
 *   `negativeSeconds`, so repeating an unknown token costs neither D1 nor KV.
 *   Nothing is written to KV for unknown digests: a flood cannot fill it.
 * - KV: the context under the digest, expiring with the token (see `writeKv`).
 * Every answer is re-checked for expiry, whichever tier it came from.
 */
import { nowSeconds } from '../lib/time.ts'
import type { AuthContext } from './auth-context.ts'

// KV refuses an `expiration` less than 60 s ahead: such a token is simply not cached.
const KV_MIN_TTL_SECONDS = 60
// API keys never expire, so their KV entries get a lifetime of their own: it bounds how long a
// change made to D1 outside the token store (a user deactivated, a key row deleted) can go unseen.
// Replacing a key through the store purges its entry at once.
/** @internal Exported for tests: test/api/api-keys.test.ts checks the bound on a key's KV entry. */
export const KV_NON_EXPIRING_TTL_SECONDS = 300

// A KV read that has not answered by then is treated as a miss: D1 answers instead.
// Hot KV reads take a few ms, cold ones tens of ms; a second means KV is in trouble.
/** @internal Exported for tests: test/platform/faults.test.ts stalls KV past it. */
export const KV_READ_TIMEOUT_MS = 1000

export type CacheSettings = {
  /** Lifetime of an isolate-memory entry; 0 disables the memory tier. */
  memorySeconds: number
  /** Most entries (known and unknown digests together) one isolate keeps. */
  memoryEntries: number
  /** Lifetime of the memory entry that marks a digest unknown; 0 disables it. */
  negativeSeconds: number
}

export type CacheTiers = {
  kv: KVNamespace
  /** Lets cache write-backs finish after the response is sent. */
  waitUntil: (promise: Promise<unknown>) => void
  cache: CacheSettings
}

type Entry = {
  context: AuthContext | null
  /** Epoch ms after which the entry is not used. */
  until: number
  /** Epoch ms from which a hit starts one background refresh from KV. */
  refreshAt: number
  refreshing: boolean
  /** Used since it was last inserted or passed over by eviction (the second chance). */
  used: boolean
}

// A refresh starts when this fraction of the entry's life is left.
const REFRESH_AHEAD_FRACTION = 0.2

/**
 * Insertion-ordered Map as an LRU by second chance (CLOCK): a hit only marks its entry used;
 * eviction takes the front entry, unless it was used, which then moves to the end instead. The
 * order a true LRU keeps would cost every hit a delete and a re-insert, on the hottest path.
 */
const memory = new Map<string, Entry>()

function recall(key: string, now: number): Entry | undefined {
  const entry = memory.get(key)
  if (!entry) return undefined
  if (entry.until <= now) {
    memory.delete(key)
    return undefined
  }
  entry.used = true
  return entry
}

function remember(settings: CacheSettings, key: string, context: AuthContext | null): void {
  const seconds = context ? settings.memorySeconds : settings.negativeSeconds
  if (seconds <= 0 || settings.memoryEntries <= 0) return
  const now = Date.now()
  let until = now + seconds * 1000
  if (context?.expiresAt != null) until = Math.min(until, context.expiresAt * 1000)
  const refreshAt = until - seconds * 1000 * REFRESH_AHEAD_FRACTION
  memory.delete(key)
  memory.set(key, { context, until, refreshAt, refreshing: false, used: false })
  // Each pass over an entry either evicts it or spends its second chance: this ends.
  while (memory.size > settings.memoryEntries) {
    const [oldest, entry] = memory.entries().next().value as [string, Entry]
    memory.delete(oldest)
    if (entry.used) {
      entry.used = false
      memory.set(oldest, entry)
    }
  }
}

function isLive(context: AuthContext, now: number): boolean {
  return context.expiresAt === null || context.expiresAt * 1000 > now
}

/**
 * What this isolate's memory says of `key`: the live context, null (unknown, or no longer live),
 * or undefined when memory does not know the key (then `cachedLookup` asks the other tiers).
 */
export function fromMemory(tiers: CacheTiers, key: string): AuthContext | null | undefined {
  const now = Date.now()
  const remembered = recall(key, now)
  if (!remembered) return undefined
  if (remembered.context && !remembered.refreshing && now >= remembered.refreshAt) {
    remembered.refreshing = true
    tiers.waitUntil(refresh(tiers, key))
  }
  return remembered.context && isLive(remembered.context, now) ? remembered.context : null
}

/**
 * The live auth context under `key`, or null. `load` reads D1 and is called only when no
 * tier knows the key; what it returns is written back (KV in the background).
 */
export async function cachedLookup(
  tiers: CacheTiers,
  key: string,
  load: () => Promise<AuthContext | null>,
  confirm: Confirm,
): Promise<AuthContext | null> {
  const remembered = fromMemory(tiers, key)
  if (remembered !== undefined) return remembered

  const cached = await readKv(tiers.kv, key)
  if (cached) {
    remember(tiers.cache, key, cached)
    return isLive(cached, Date.now()) ? cached : null
  }

  const loaded = await load()
  remember(tiers.cache, key, loaded)
  if (loaded) tiers.waitUntil(writeConfirmed(tiers, key, loaded, confirm))
  return loaded
}

async function refresh(tiers: CacheTiers, key: string): Promise<void> {
  const cached = await readKv(tiers.kv, key)
  if (cached) remember(tiers.cache, key, cached)
  else memory.delete(key)
}

/** Caches a context just issued, so its first use needs no D1 read. */
export async function cacheIssued(
  tiers: CacheTiers,
  key: string,
  context: AuthContext,
  confirm: Confirm,
): Promise<void> {
  remember(tiers.cache, key, context)
  await writeConfirmed(tiers, key, context, confirm)
}

/** Asks D1's primary whether the credential cached under a key still stands. */
export type Confirm = () => Promise<boolean>

/**
 * Writes to KV, then asks the primary whether the credential still stands, and forgets it if
 * not. A revocation that ran between our D1 read and our KV write deleted a key that did not
 * exist yet; without the check our write would bring the token back until it expires. In
 * either order the two interleave, the revoker's delete follows our write, or our check
 * follows its D1 update.
 */
async function writeConfirmed(tiers: CacheTiers, key: string, context: AuthContext, confirm: Confirm): Promise<void> {
  if (!(await writeKv(tiers.kv, key, context))) return
  if (!(await confirm())) await forgetCached(tiers, key)
}

/** Forgets `key` in this isolate and in KV (revocation: call after D1 has been updated). */
export async function forgetCached(tiers: CacheTiers, key: string): Promise<void> {
  memory.delete(key)
  try {
    await tiers.kv.delete(key)
  } catch (error) {
    console.warn('token cache delete failed', error)
  }
}

/**
 * Forgets every digest this isolate remembers as unknown, after a change that makes credentials
 * D1 refused a moment ago stand again (a user reactivated). Other isolates keep their entries for
 * at most `negativeSeconds` (TOKEN_NEGATIVE_CACHE_SECONDS): a reactivation is rare, so dropping
 * every negative entry here costs a few repeated lookups at most.
 */
export function forgetUnknownCredentials(): void {
  for (const [key, entry] of memory) if (entry.context === null) memory.delete(key)
}

/**
 * Entries the memory tier holds now.
 * @internal Exported for tests: test/oauth/token-cache.test.ts checks the bound.
 */
export function memoryCacheSize(): number {
  return memory.size
}

// The cache is an optimisation: when KV fails or hangs, D1 answers and the failure is logged.
async function readKv(kv: KVNamespace, key: string): Promise<AuthContext | null> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`KV read timed out after ${KV_READ_TIMEOUT_MS} ms`)), KV_READ_TIMEOUT_MS)
  })
  try {
    return await Promise.race([kv.get<AuthContext>(key, 'json'), timeout])
  } catch (error) {
    console.warn('token cache read failed; falling back to D1', error)
    return null
  } finally {
    clearTimeout(timer)
  }
}

/** True when the context was written (tokens with under a minute left are not). */
async function writeKv(kv: KVNamespace, key: string, context: AuthContext): Promise<boolean> {
  const options =
    context.expiresAt === null
      ? { expirationTtl: KV_NON_EXPIRING_TTL_SECONDS }
      : context.expiresAt - nowSeconds() >= KV_MIN_TTL_SECONDS
        ? { expiration: context.expiresAt }
        : null
  if (!options) return false
  try {
    await kv.put(key, JSON.stringify(context), options)
    return true
  } catch (error) {
    console.warn('token cache write failed', error)
    return false
  }
}
