/**
 * @module
 * The client secret shown once across a POST-redirect-GET: the register and rotate-secret
 * forms answer 303 to the application's page, which shows the new secret a single time. D1 keeps
 * only the secret's digest, and there is no per-session storage (src/accounts/session.ts), so the
 * secret travels to that one GET in a cookie:
 * - encrypted (AES-256-GCM, key derived from SECRET_KEY with HKDF): the browser's cookie store
 *   never holds the secret in plaintext, and nobody can make a cookie the server accepts;
 * - bound to the user and the application, and short-lived (5 minutes);
 * - HttpOnly, `__Host-` on https, SameSite=Lax;
 * - shown only while it is still the application's secret (its digest matches the stored one),
 *   and cleared by the page that shows it: a reload shows it no more.
 */
import type { Context } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import { base64url } from 'jose'
import { sha256Hex, timingSafeEqualText } from '../../crypto/digest.ts'
import { utf8 } from '../../crypto/encoding.ts'
import type { Application } from '../../db/schema.ts'
import { sessionCookie } from '../../lib/html-security.ts'
import { nowSeconds } from '../../lib/time.ts'
import type { AppEnv } from '../../types.ts'

const COOKIE = 'eot_new_secret'
const LIFETIME_SECONDS = 300
const IV_BYTES = 12

const keys = new Map<string, Promise<CryptoKey>>()

function cookieKey(secretKey: string): Promise<CryptoKey> {
  let key = keys.get(secretKey)
  if (!key) {
    key = crypto.subtle
      .importKey('raw', utf8(secretKey), 'HKDF', false, ['deriveKey'])
      .then((material) =>
        crypto.subtle.deriveKey(
          { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: utf8('eot new client secret cookie') },
          material,
          { name: 'AES-GCM', length: 256 },
          false,
          ['encrypt', 'decrypt'],
        ),
      )
    keys.set(secretKey, key)
  }
  return key
}

type Payload = { application: number; user: number; secret: string; expires: number }

/** Keeps `secret` for the next view of the application's page, by this user only. */
export async function rememberNewSecret<E extends AppEnv>(
  c: Context<E>,
  userId: number,
  applicationId: number,
  secret: string,
): Promise<void> {
  const payload: Payload = {
    application: applicationId,
    user: userId,
    secret,
    expires: nowSeconds() + LIFETIME_SECONDS,
  }
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES))
  const sealed = new Uint8Array(
    await crypto.subtle.encrypt(
      { name: 'AES-GCM', iv },
      await cookieKey(c.env.SECRET_KEY),
      utf8(JSON.stringify(payload)),
    ),
  )
  const value = new Uint8Array(IV_BYTES + sealed.byteLength)
  value.set(iv)
  value.set(sealed, IV_BYTES)
  const { name, options } = sessionCookie(COOKIE, c.req.url)
  setCookie(c, name, base64url.encode(value), { ...options, maxAge: LIFETIME_SECONDS })
}

async function open<E extends AppEnv>(c: Context<E>, value: string): Promise<Payload | null> {
  try {
    const bytes = base64url.decode(value)
    if (bytes.byteLength <= IV_BYTES) return null
    const plain = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: bytes.slice(0, IV_BYTES) },
      await cookieKey(c.env.SECRET_KEY),
      bytes.slice(IV_BYTES),
    )
    return JSON.parse(new TextDecoder().decode(plain)) as Payload
  } catch {
    // Not base64url, altered, or sealed under another SECRET_KEY.
    return null
  }
}

/**
 * The new secret of `application` kept for this user, or null; the cookie is cleared either way,
 * so the secret is shown once.
 */
export async function takeNewSecret<E extends AppEnv>(
  c: Context<E>,
  userId: number,
  application: Application,
): Promise<string | null> {
  const { name, options } = sessionCookie(COOKIE, c.req.url)
  const value = getCookie(c, name)
  if (value === undefined) return null
  deleteCookie(c, name, options)
  const payload = await open(c, value)
  if (!payload || payload.user !== userId || payload.application !== application.id) return null
  if (!(payload.expires > nowSeconds()) || typeof payload.secret !== 'string') return null
  // Rotated again since, or the application was replaced: not its secret any more.
  const current = await sha256Hex(payload.secret)
  return timingSafeEqualText(current, application.clientSecretHash) ? payload.secret : null
}
