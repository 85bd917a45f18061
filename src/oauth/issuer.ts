/**
 * @module
 * The issuer identifier (RFC 8414 §2, OIDC Core §2) of this authorization server.
 */
import type { Context } from 'hono'
import { getConfig } from '../config.ts'
import { OAuthError } from '../http/oauth.ts'
import { isLoopbackHost } from '../lib/loopback.ts'
import type { AppEnv } from '../types.ts'

let missingIssuerLogged = false

/**
 * ISSUER when set; otherwise this request's origin, on a loopback host only (wrangler dev).
 * Elsewhere the issuer would follow the Host header, and discovery documents naming an
 * attacker's host would be cached publicly: the request is refused with a 503 (logged once).
 */
export function issuer(c: Context<AppEnv>): string {
  const known = knownIssuer(c)
  if (known !== null) return known
  const url = new URL(c.req.url)
  if (!missingIssuerLogged) {
    missingIssuerLogged = true
    console.error(`ISSUER is not set: refusing OAuth requests for the non-loopback host ${url.host}`)
  }
  throw new OAuthError('temporarily_unavailable', 'The server is not configured: ISSUER is not set.', {
    status: 503,
  })
}

/** The issuer, or null where `issuer` would refuse the request: for answers that work without it. */
export function knownIssuer<E extends AppEnv>(c: Context<E>): string | null {
  const configured = getConfig(c.env).issuer
  if (configured !== null) return configured
  const url = new URL(c.req.url)
  return isLoopbackHost(url.hostname) ? url.origin : null
}
