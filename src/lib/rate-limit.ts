/**
 * @module
 * Brute-force limits on password logins. Every password-checking entry point (the password
 * grant, `/accounts/login/`, `/api-token-auth/`) goes through `logIn` (src/accounts/login.ts)
 * with the gate built here; each shapes the refusal its own way (429 + Retry-After).
 *
 * - Per client IP, every attempt, before the password is checked: LOGIN_IP_LIMITER.
 * - Per username, failed attempts only, counted after a failed check: LOGIN_FAILURE_LIMITER.
 *   Over its budget the username is locked for a period (a KV entry), and the address that
 *   failed is remembered (another KV entry). While the lock lasts, an address that failed on
 *   that username is refused before its password is checked; any other address is checked
 *   normally, and its failure marks it too. So a guesser locks out only itself, and the right
 *   password from an address with no failure during the lock still logs in.
 * - Successful logins never count against the username: a busy integration does not lock itself.
 *
 * The Workers Rate Limiting binding (`[[ratelimits]]` in wrangler.toml) counts per Cloudflare
 * location and cannot be read without counting, hence KV for the lock. A login costs one KV read
 * (the lock), two while its username is locked; KV is written only while a username is locked.
 * The token lookup path does not come here.
 *
 * Client authentication (RFC 6749 §2.3) that does not succeed at once — a wrong or missing secret,
 * an unknown client, or an imported client whose secret only Django's slow hash can check — is
 * counted per client and per client IP before anything slow runs: `clientAuthGate`
 * (CLIENT_AUTH_CLIENT_LIMITER, CLIENT_AUTH_IP_LIMITER). A right secret checked by its digest is never
 * counted: the token endpoint's hot path does not come here.
 *
 * Dynamic client registrations are counted per client IP too (REGISTRATION_LIMITER,
 * `admitRegistration`): each one adds a row to D1 and a name to the consent page. So are
 * fetches of client ID metadata documents and jwks_uri key sets (CLIENT_METADATA_LIMITER,
 * `admitMetadataDocumentFetch`).
 *
 * Also the limits on user codes typed at /o/device/ (RFC 8628 §5.1), per user and per client IP:
 * `userCodeEntryAllowed` (DEVICE_USER_LIMITER, DEVICE_IP_LIMITER), with the same fail-open rule;
 * and on device authorization requests, each a row in D1, per client and per client IP:
 * `admitDeviceAuthorization` (DEVICE_AUTHORIZATION_CLIENT_LIMITER, DEVICE_AUTHORIZATION_IP_LIMITER).
 */
import type { Context } from 'hono'
import { sha256Hex } from '../crypto/digest.ts'
import { ipv6Groups } from './ip-address.ts'

// wrangler.toml [ratelimits.simple] period: the binding accepts only 10 or 60 seconds and
// does not say when a window ends, so clients are told to wait a whole period. It is also
// Workers KV's shortest expiration, so a lock lasts one period.
export const LOGIN_LIMIT_PERIOD_SECONDS = 60

type LoginBindings = Pick<Env, 'LOGIN_FAILURE_LIMITER' | 'LOGIN_IP_LIMITER' | 'TOKEN_CACHE'>

/** May this attempt check a password? If so, `failed` is to be called when the password was wrong. */
type LoginAdmission = { admitted: true; failed: () => Promise<void> } | { admitted: false; retryAfter: number }

/**
 * Decides, before the password is checked, whether an attempt on `username` (normalised) may
 * proceed. `prefetch(username)` starts its KV read early (the password grant, while the client is
 * authenticated), so that it costs no round trip of its own.
 */
export type LoginGate = ((username: string) => Promise<LoginAdmission>) & { prefetch: (username: string) => void }

const REFUSED: LoginAdmission = { admitted: false, retryAfter: LOGIN_LIMIT_PERIOD_SECONDS }

/**
 * The address Cloudflare saw. Trusted ONLY behind Cloudflare, whose edge sets this header on
 * every request and replaces one sent by the client. Served any other way (workerd or
 * `wrangler dev` reachable directly, a proxy that passes headers through) a client can send
 * any value: a fresh address per attempt escapes the per-IP limit and looks like an address
 * with no failures on a locked username. Absent only in local runs without a proxy.
 */
export function clientIp(c: Context): string | undefined {
  return c.req.header('CF-Connecting-IP') || undefined
}

/**
 * The key an address is counted under: an IPv4 address as is (an IPv4-mapped IPv6 address,
 * ::ffff:a.b.c.d, as its IPv4 address), another IPv6 address by its /64, since one subscriber
 * usually holds a whole /64 and could otherwise rotate through it.
 * @internal Exported for tests: test/hardening/login-limits.test.ts checks the address spellings one key covers.
 */
export function ipKey(ip: string): string {
  const address = ip.trim().toLowerCase()
  if (!address.includes(':')) return `ip:${address}`
  const groups = ipv6Groups(address)
  // Not an IPv6 address (only possible without Cloudflare in front): counted as written, bounded.
  if (!groups) return `ip6?:${address.slice(0, 64)}`
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    return `ip:${[groups[6] >> 8, groups[6] & 0xff, groups[7] >> 8, groups[7] & 0xff].join('.')}`
  }
  return `ip6:${groups
    .slice(0, 4)
    .map((group) => group.toString(16))
    .join(':')}::/64`
}

// Fail open: a limiter or KV outage must not lock every user out; it is logged.
async function allowed(limiter: RateLimit, key: string): Promise<boolean> {
  try {
    return (await limiter.limit({ key })).success
  } catch (error) {
    console.warn('rate limiter failed; allowing the attempt', error)
    return true
  }
}

async function isMarked(kv: KVNamespace, key: string): Promise<boolean> {
  try {
    return (await kv.get(key)) !== null
  } catch (error) {
    console.warn('login limit state unreadable; allowing the attempt', error)
    return false
  }
}

async function mark(kv: KVNamespace, key: string): Promise<void> {
  try {
    await kv.put(key, '1', { expirationTtl: LOGIN_LIMIT_PERIOD_SECONDS })
  } catch (error) {
    console.warn('login limit state not written', error)
  }
}

/**
 * The gate for attempts from `ip`. Usernames are keyed by digest, so the key length is bounded
 * and no username is stored as-is. Attempts without an address (local runs) share one.
 */
export function loginGate(env: LoginBindings, ip: string | undefined): LoginGate {
  const source = ip === undefined ? 'unknown' : ipKey(ip)
  // A read of the username's lock started by `prefetch`, taken by the next attempt on it.
  const prefetched = new Map<string, Promise<boolean>>()
  const lockOf = (username: string, user: string) => {
    const read = prefetched.get(username) ?? isMarked(env.TOKEN_CACHE, `login:lock:${user}`)
    prefetched.delete(username)
    return read
  }
  const gate = async (username: string): Promise<LoginAdmission> => {
    if (ip !== undefined && !(await allowed(env.LOGIN_IP_LIMITER, source))) return REFUSED
    const user = await sha256Hex(username)
    const lockKey = `login:lock:${user}`
    const failedKey = `login:failed:${user}:${source}`
    const locked = await lockOf(username, user)
    if (locked && (await isMarked(env.TOKEN_CACHE, failedKey))) return REFUSED
    return {
      admitted: true,
      failed: async () => {
        const overBudget = !(await allowed(env.LOGIN_FAILURE_LIMITER, `user:${user}`))
        if (!locked && !overBudget) return
        // Locked now: this address is refused until the lock (or its own mark) expires.
        await Promise.all([mark(env.TOKEN_CACHE, failedKey), locked ? undefined : mark(env.TOKEN_CACHE, lockKey)])
      },
    }
  }
  return Object.assign(gate, {
    prefetch(username: string) {
      if (!prefetched.has(username)) {
        prefetched.set(
          username,
          sha256Hex(username).then((user) => isMarked(env.TOKEN_CACHE, `login:lock:${user}`)),
        )
      }
    },
  })
}

/** Seconds a refused client authentication is told to wait: the limiters' period (wrangler.toml). */
export const CLIENT_AUTH_LIMIT_PERIOD_SECONDS = 60

/**
 * Decides, before a client's secret is checked the slow way or refused, whether this attempt may
 * go on (false: answer 429 without checking anything).
 */
export type ClientAuthGate = (clientId: string) => Promise<boolean>

/**
 * The gate for client authentications from `ip` that did not succeed by digest. Every such attempt
 * counts, whatever the client (native, imported, unknown), so a refusal says nothing about how its
 * secret is stored; counted BEFORE the check, so concurrent attempts cannot all slip past a budget
 * that only failures would fill. Per address first (an address over its budget spends no client's),
 * then per client, keyed by the client_id's digest (bounded, whatever was sent). Attempts without an
 * address (local runs) are counted per client only.
 */
export function clientAuthGate(
  env: Pick<Env, 'CLIENT_AUTH_CLIENT_LIMITER' | 'CLIENT_AUTH_IP_LIMITER'>,
  ip: string | undefined,
): ClientAuthGate {
  return async (clientId) => {
    if (ip !== undefined && !(await allowed(env.CLIENT_AUTH_IP_LIMITER, ipKey(ip)))) return false
    return allowed(env.CLIENT_AUTH_CLIENT_LIMITER, `client:${await sha256Hex(clientId)}`)
  }
}

/** May `ip` register one more client (RFC 7591) this period? Unknown addresses (local runs) are not counted. */
export async function admitRegistration(
  env: Pick<Env, 'REGISTRATION_LIMITER'>,
  ip: string | undefined,
): Promise<boolean> {
  return ip === undefined || (await allowed(env.REGISTRATION_LIMITER, ipKey(ip)))
}

/**
 * May `ip` have this server fetch one more client ID metadata document, or a client's jwks_uri,
 * this period (CLIENT_METADATA_LIMITER)? Each is an outbound request to a URL a client chose, so
 * /o/authorize/ and the endpoints that authenticate clients cannot be turned into a fetcher of
 * arbitrary URLs. Unknown addresses (local runs) are not counted.
 */
export async function admitMetadataDocumentFetch(
  env: Pick<Env, 'CLIENT_METADATA_LIMITER'>,
  ip: string | undefined,
): Promise<boolean> {
  return ip === undefined || (await allowed(env.CLIENT_METADATA_LIMITER, ipKey(ip)))
}

/** Seconds a refused user-code entry is told to wait: the limiters' period (wrangler.toml). */
export const DEVICE_LIMIT_PERIOD_SECONDS = 60

/**
 * Whether a user-code entry at /o/device/ (RFC 8628 §5.1) may be looked up: counted per user
 * (DEVICE_USER_LIMITER) and, behind Cloudflare, per client address (DEVICE_IP_LIMITER), so
 * neither one account nor one address can guess through the user-code space.
 */
export async function userCodeEntryAllowed(
  env: Pick<Env, 'DEVICE_USER_LIMITER' | 'DEVICE_IP_LIMITER'>,
  userId: number,
  ip: string | undefined,
): Promise<boolean> {
  const [byUser, byIp] = await Promise.all([
    allowed(env.DEVICE_USER_LIMITER, `user:${userId}`),
    ip === undefined ? true : allowed(env.DEVICE_IP_LIMITER, ipKey(ip)),
  ])
  return byUser && byIp
}

/**
 * May `applicationId` start one more device authorization (RFC 8628 §3.1) from `ip` this period?
 * Each stores a row for the code's lifetime, and a public client proves nothing but its client_id,
 * so both the client (DEVICE_AUTHORIZATION_CLIENT_LIMITER) and, behind Cloudflare, the address
 * (DEVICE_AUTHORIZATION_IP_LIMITER) are counted. Refused: retry after DEVICE_LIMIT_PERIOD_SECONDS.
 */
export async function admitDeviceAuthorization(
  env: Pick<Env, 'DEVICE_AUTHORIZATION_CLIENT_LIMITER' | 'DEVICE_AUTHORIZATION_IP_LIMITER'>,
  applicationId: number,
  ip: string | undefined,
): Promise<boolean> {
  const [byClient, byIp] = await Promise.all([
    allowed(env.DEVICE_AUTHORIZATION_CLIENT_LIMITER, `client:${applicationId}`),
    ip === undefined ? true : allowed(env.DEVICE_AUTHORIZATION_IP_LIMITER, ipKey(ip)),
  ])
  return byClient && byIp
}
