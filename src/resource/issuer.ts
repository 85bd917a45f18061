/**
 * @module
 * The issuer identifier (RFC 8414 §2, OIDC Core §2) of this authorization server. It may carry a
 * path: django-oauth-toolkit's is `<origin>/o` (its discovery URL less
 * `/.well-known/openid-configuration/`), which a site moving over keeps so that relying parties
 * see the same `iss`. The path names the issuer only: every endpoint and resource stays at the
 * issuer's origin (`issuerOrigin`), and the discovery documents are also served where RFC 8414 §3.1
 * and OIDC Discovery 1.0 §4 look for those of an issuer with a path.
 */
import type { Context } from 'hono'
import { getConfig } from '../config.ts'
import { OAuthError } from '../http/oauth.ts'
import { isLoopbackHost } from '../lib/loopback.ts'
import { signingKeys } from '../lib/request-context.ts'
import type { JwtAccessTokenVerification } from '../tokens/jwt-access-tokens.ts'
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

/** The origin every endpoint and resource of this server is at, whatever the issuer's path. */
export function issuerOrigin(issuer: string): string {
  return new URL(issuer).origin
}

/** The issuer's path without a trailing slash: '' (none), or e.g. `/o` (django-oauth-toolkit's). */
export function issuerPath(issuer: string): string {
  return new URL(issuer).pathname.replace(/\/+$/, '')
}

/** What recognises this issuer's RFC 9068 JWT access tokens; null without a known issuer. */
export function jwtAccessTokenVerification<E extends AppEnv>(c: Context<E>): JwtAccessTokenVerification | null {
  const known = knownIssuer(c)
  return known === null ? null : { keys: () => signingKeys(c), issuer: known }
}
