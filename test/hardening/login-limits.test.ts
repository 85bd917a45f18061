/**
 * Login limits count FAILED attempts per username and ALL attempts per client
 * IP. A username locked by failures refuses only the addresses that failed on it during the lock;
 * the right password from another address still logs in, and successful logins never lock anyone.
 */
import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { ipKey, LOGIN_LIMIT_PERIOD_SECONDS, loginGate } from '../../src/lib/rate-limit.ts'
import { form, makeApplication, makeUser, postForm, postToken, unique } from '../helpers.ts'

const SLOW = { timeout: 90_000 }
// wrangler.toml: LOGIN_FAILURE_LIMITER limit, LOGIN_IP_LIMITER limit.
const FAILURE_BUDGET = 10
const IP_BUDGET = 50

let lastIp = 0
/** An address of the benchmarking range (RFC 2544) that no other test uses. */
function freshIp(): string {
  lastIp++
  return `198.18.12.${lastIp}`
}

async function passwordGrant(
  app: { clientId: string; clientSecret: string | null },
  username: string,
  password: string,
  ip: string,
) {
  return postToken(
    form({
      grant_type: 'password',
      username,
      password,
      client_id: app.clientId,
      client_secret: app.clientSecret ?? '',
    }),
    { 'CF-Connecting-IP': ip },
  )
}

/** Locks `username` from `ip`: one failure more than the budget. */
async function hammer(app: { clientId: string; clientSecret: string | null }, username: string, ip: string) {
  for (let i = 0; i <= FAILURE_BUDGET; i++) {
    expect((await passwordGrant(app, username, 'wrong', ip)).status).toBe(400)
  }
}

describe('login limits: failures per username, every attempt per IP', () => {
  it(
    'a victim hammered with wrong passwords from IP A still logs in with the right password from IP B',
    SLOW,
    async () => {
      const victim = await makeUser()
      const app = await makeApplication()
      const [attacker, home] = [freshIp(), freshIp()]
      await hammer(app, victim.username, attacker)
      expect((await passwordGrant(app, victim.username, victim.plainPassword, home)).status).toBe(200)
      // The username is locked all the same: the attacker's address is refused even with the password.
      expect((await passwordGrant(app, victim.username, victim.plainPassword, attacker)).status).toBe(429)
      // Every login path: the login page and /api-token-auth/ from B as well.
      const page = await postForm(
        '/accounts/login/',
        { username: victim.username, password: victim.plainPassword },
        { 'CF-Connecting-IP': home },
      )
      expect(page.status).toBe(302)
      const key = await postForm(
        '/api-token-auth/',
        { username: victim.username, password: victim.plainPassword },
        { 'CF-Connecting-IP': home },
      )
      expect(key.status).toBe(200)
    },
  )

  it(
    'wrong passwords from one IP past the budget: that IP is refused (429) even with the right password',
    SLOW,
    async () => {
      const user = await makeUser()
      const app = await makeApplication()
      const attacker = freshIp()
      await hammer(app, user.username, attacker)
      const refused = await passwordGrant(app, user.username, user.plainPassword, attacker)
      expect(refused.status).toBe(429)
      expect(refused.headers.get('Retry-After')).toBe(String(LOGIN_LIMIT_PERIOD_SECONDS))
      expect(await refused.json()).toEqual({ error: 'slow_down', error_description: expect.any(String) })
      // The other login paths refuse that IP too, before checking the password.
      const page = await postForm(
        '/accounts/login/',
        { username: user.username, password: user.plainPassword },
        { 'CF-Connecting-IP': attacker },
      )
      expect(page.status).toBe(429)
    },
  )

  it('during a lock, a failure from a new IP counts: that IP is refused next', SLOW, async () => {
    const user = await makeUser()
    const app = await makeApplication()
    const [first, second] = [freshIp(), freshIp()]
    await hammer(app, user.username, first)
    expect((await passwordGrant(app, user.username, 'wrong again', second)).status).toBe(400)
    expect((await passwordGrant(app, user.username, user.plainPassword, second)).status).toBe(429)
  })

  it('20 successful logins of a busy integration are not refused by the username limit', SLOW, async () => {
    const user = await makeUser()
    const app = await makeApplication()
    const ip = freshIp()
    for (let i = 0; i < 2 * FAILURE_BUDGET; i++) {
      expect((await passwordGrant(app, user.username, user.plainPassword, ip)).status).toBe(200)
    }
  })

  it('the username lock is keyed on the NFKC form: ｕｓｅｒ… and user… share one lock', SLOW, async () => {
    const user = await makeUser()
    const app = await makeApplication()
    const ip = freshIp()
    const fullwidth = user.username.replace(/[!-~]/g, (char) => String.fromCharCode(char.charCodeAt(0) + 0xfee0))
    await hammer(app, fullwidth, ip)
    expect((await passwordGrant(app, user.username, user.plainPassword, ip)).status).toBe(429)
  })

  it('the per-IP limit counts every attempt, successful or not, across usernames', SLOW, async () => {
    const ip = freshIp()
    const gate = loginGate(env, ip)
    // Admitted attempts that never report a failure: successful logins.
    for (let i = 0; i < IP_BUDGET; i++) expect((await gate(unique('busy'))).admitted).toBe(true)
    expect(await gate(unique('busy'))).toEqual({ admitted: false, retryAfter: LOGIN_LIMIT_PERIOD_SECONDS })
    // Another address is not affected.
    expect((await loginGate(env, freshIp())(unique('busy'))).admitted).toBe(true)
  })

  it('IPv4-mapped IPv6 addresses count as their IPv4 address', SLOW, async () => {
    expect(ipKey('::ffff:192.0.2.1')).toBe('ip:192.0.2.1')
    expect(ipKey('::ffff:c000:0201')).toBe('ip:192.0.2.1')
    expect(ipKey('::FFFF:C000:201')).toBe('ip:192.0.2.1')
    expect(ipKey('0:0:0:0:0:ffff:192.0.2.1')).toBe('ip:192.0.2.1')
    expect(ipKey('0000:0000:0000:0000:0000:ffff:c000:0201')).toBe('ip:192.0.2.1')
    expect(ipKey('192.0.2.1')).toBe('ip:192.0.2.1')
    // Not mapped: other IPv6 addresses, including ones with an embedded dotted quad, stay IPv6 (/64).
    expect(ipKey('64:ff9b::192.0.2.1')).toBe('ip6:64:ff9b:0:0::/64')
    expect(ipKey('::ffff:0:c000:201')).toBe('ip6:0:0:0:0::/64')
    // Both spellings draw on one budget.
    const v4 = freshIp()
    for (let i = 0; i < IP_BUDGET / 2; i++) {
      expect((await loginGate(env, v4)(unique('m'))).admitted).toBe(true)
      expect((await loginGate(env, `::ffff:${v4}`)(unique('m'))).admitted).toBe(true)
    }
    expect((await loginGate(env, `::ffff:${v4}`)(unique('m'))).admitted).toBe(false)
    expect((await loginGate(env, v4)(unique('m'))).admitted).toBe(false)
  })
})
