/**
 * @module
 * Brute-force limits on password logins, per username and per client IP, with the Workers
 * Rate Limiting binding (`[[ratelimits]]` in wrangler.toml). Every password-checking entry
 * point calls `loginRateLimit` before verifying: the password grant, and the login page and
 * `/api-token-auth/` when they exist; each shapes the refusal its own way (429 + Retry-After).
 */
import type { Context } from 'hono'
import { sha256Hex } from '../crypto/digest.ts'

// wrangler.toml [ratelimits.simple] period: the binding accepts only 10 or 60 seconds and
// does not say when a window ends, so clients are told to wait a whole period.
export const LOGIN_LIMIT_PERIOD_SECONDS = 60

type LoginLimiters = Pick<Env, 'LOGIN_USERNAME_LIMITER' | 'LOGIN_IP_LIMITER'>

export type LoginRateLimit = { limited: false } | { limited: true; retryAfter: number }

/** The address Cloudflare saw; clients cannot set it. Absent only in local runs without a proxy. */
export function clientIp(c: Context): string | undefined {
  return c.req.header('CF-Connecting-IP') || undefined
}

/**
 * The key an address is counted under: an IPv4 address as is, an IPv6 address by its /64,
 * since one subscriber usually holds a whole /64 and could otherwise rotate through it.
 */
export function ipKey(ip: string): string {
  if (!ip.includes(':')) return `ip:${ip}`
  const [head, tail = ''] = ip.toLowerCase().split('::')
  const left = head ? head.split(':') : []
  const right = ip.includes('::') && tail ? tail.split(':') : []
  const groups = ip.includes('::')
    ? [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right]
    : left
  return `ip6:${groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`
}

async function allowed(limiter: RateLimit, key: string): Promise<boolean> {
  try {
    return (await limiter.limit({ key })).success
  } catch (error) {
    // Fail open: a limiter outage must not lock every user out; it is logged.
    console.warn('rate limiter failed; allowing the attempt', error)
    return true
  }
}

/**
 * Counts one login attempt for `username` and for `ip`; limited when either is over its budget.
 * Usernames are keyed by digest, so the key length is bounded and no username is sent as-is.
 */
export async function loginRateLimit(
  env: LoginLimiters,
  username: string,
  ip: string | undefined,
): Promise<LoginRateLimit> {
  const checks = [allowed(env.LOGIN_USERNAME_LIMITER, `user:${await sha256Hex(username)}`)]
  if (ip !== undefined) checks.push(allowed(env.LOGIN_IP_LIMITER, ipKey(ip)))
  const results = await Promise.all(checks)
  return results.every(Boolean) ? { limited: false } : { limited: true, retryAfter: LOGIN_LIMIT_PERIOD_SECONDS }
}
