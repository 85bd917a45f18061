/**
 * @module
 * The browser session: a cookie signed with SECRET_KEY (HMAC-SHA256, hono/cookie) holding
 * the user id, the user's session generation, the login time, an expiry and a tag of the
 * password hash. Nothing is stored per session: the generation on the user's row is what
 * ends sessions. Logout, a password change and deactivation move it on, so every copy of
 * every session of that user is refused from then on (src/accounts/user-lifecycle.ts); a
 * password hash changed by any other way ends them too (Django's session auth hash).
 */
import type { Context } from 'hono'
import { deleteCookie, getSignedCookie, setSignedCookie } from 'hono/cookie'
import { sha256Hex } from '../crypto/digest.ts'
import type { Db } from '../db/client.ts'
import type { User } from '../db/schema.ts'
import { sessionCookie } from '../lib/html-security.ts'
import { config, db } from '../lib/request-context.ts'
import { nowSeconds } from '../lib/time.ts'
import type { AppEnv, Session } from '../types.ts'
import { endUserSessions } from './user-lifecycle.ts'
import { findUserById } from './users.ts'

// `__Host-eot_session` in production (src/lib/html-security.ts), plain on http://localhost.
const SESSION_COOKIE = 'eot_session'
const PASSWORD_TAG_LENGTH = 16
// id.generation.authTime.expires.tag. A cookie from before generations has four fields and
// is refused: sessions its user logged out of before the upgrade must not live on.
const SESSION_FIELDS = 5

function cookie<E extends AppEnv>(c: Context<E>, maxAge: number) {
  const { name, options } = sessionCookie(SESSION_COOKIE, c.req.url)
  return { name, options: { ...options, maxAge } }
}

async function passwordTag(user: User): Promise<string> {
  return (await sha256Hex(`session:${user.password}`)).slice(0, PASSWORD_TAG_LENGTH)
}

export async function startSession(c: Context<AppEnv>, user: User): Promise<void> {
  const lifetime = config(c).sessionLifetime
  const now = nowSeconds()
  const value = [user.id, user.sessionGeneration, now, now + lifetime, await passwordTag(user)].join('.')
  const { name, options } = cookie(c, lifetime)
  await setSignedCookie(c, name, value, c.env.SECRET_KEY, options)
}

/**
 * The logged-in, still active user, or null for no, forged, expired, ended or outdated cookie.
 * The user is read from the primary unless the caller passes a replica session (`readDb`): pages
 * that only show something and act on nothing they read (docs/architecture.md "Round trips and consistency").
 */
export async function readSession<E extends AppEnv>(c: Context<E>, from: Db = db(c)): Promise<Session | null> {
  const session = await verifySession(c, from)
  // Pages show who is logged in (src/web/kit/page.tsx renderPage).
  c.set('session', session)
  return session
}

async function verifySession<E extends AppEnv>(c: Context<E>, from: Db): Promise<Session | null> {
  const value = await getSignedCookie(c, c.env.SECRET_KEY, cookie(c, 0).name)
  if (!value) return null
  const fields = value.split('.')
  if (fields.length !== SESSION_FIELDS) return null
  const [id, generation, authTime, expires, tag] = fields
  // The signed expiry counts, not the browser's: a replayed old cookie is refused.
  if (!(Number(expires) > nowSeconds())) return null
  const user = await findUserById(from, Number(id))
  if (!user?.isActive || String(user.sessionGeneration) !== generation) return null
  if ((await passwordTag(user)) !== tag) return null
  return { user, authTime: Number(authTime) }
}

/**
 * Logs out: the session's user gets a new generation, which ends this cookie and every copy
 * of it, and every other session of that user (a stateless cookie cannot be ended alone).
 * Then the browser's cookie is cleared.
 */
export async function endSession(c: Context<AppEnv>, session: Session | null): Promise<void> {
  if (session) await endUserSessions(db(c), session.user.id)
  c.set('session', null)
  const { name, options } = cookie(c, 0)
  deleteCookie(c, name, options)
}

/**
 * `next` when it is a path on this site, else `fallback`: redirects after login never
 * leave the origin (no open redirect via `//evil.example`, `/\evil.example` or `https:`).
 * The normalised path is checked again: dot segments (`/.//evil.example`, `/%2e//…`,
 * `/a/..//…`) collapse into `//evil.example`, which a browser reads as another host.
 */
export function safeNext(next: string | undefined, requestUrl: string, fallback: string): string {
  if (next === undefined || !isLocalPath(next)) return fallback
  const origin = new URL(requestUrl).origin
  const target = new URL(next, origin)
  const path = target.pathname + target.search + target.hash
  return target.origin === origin && isLocalPath(path) ? path : fallback
}

/** A path-absolute reference (RFC 3986 §4.2) with no authority, no backslash trick, no control characters. */
function isLocalPath(path: string): boolean {
  if (!path.startsWith('/') || path.startsWith('//') || path.startsWith('/\\')) return false
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  return !/[\u0000-\u001f\u007f]/.test(path)
}
