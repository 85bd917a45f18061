/**
 * @module
 * Authentication middleware for the resource API and the MCP endpoint: `Authorization: Bearer <token>` (OAuth2
 * access tokens), `Authorization: DPoP <token>` with a `DPoP` proof (RFC 9449 §7: access tokens bound to
 * the client's key, ./dpop.ts) or `Authorization: Token <key>` (API keys, under DRF's scheme name) → `c.var.auth`. Each scheme is one
 * entry of a table, which also gives every 401 its list of challenges. The route says what it
 * protects (a `Protection`: its resource and how its dialect words a refusal). Credentials are read from
 * the header only: RFC 9700 §4.3.2 advises against access tokens in URLs, so `?access_token=` is
 * ignored, and refused beside a header (RFC 6750 §3.1). A Bearer token must be bound to the
 * protected resource (its RFC 8707 audience includes it); API keys are not OAuth tokens and carry none.
 */
import type { Context, MiddlewareHandler } from 'hono'
import { parseAuthorization } from '../http/authorization.ts'
import { tokenStore } from '../lib/request-context.ts'
import { audienceIncludes } from '../resource/audiences.ts'
import { lookupApiKey } from '../tokens/api-keys.ts'
import type { AuthContext } from '../tokens/auth-context.ts'
import { credentialsProblem, sendsTokenTwice, verifyBearerToken } from './bearer.ts'
import { authenticateDpop, DPOP_NONCE_HEADER } from './dpop.ts'
import type { ApiEnv } from './env.ts'
import {
  API_PROTECTION,
  type ChallengeHeaders,
  dpopRefused,
  invalidToken,
  MESSAGES,
  malformedBearer,
  notAuthenticated,
  type Protection,
  resourceChallenge,
  resourceDpopChallenge,
  TOKEN_CHALLENGE,
  tokenAuthFailed,
} from './responses.ts'

type Scheme = {
  /** The scheme's bare challenge (RFC 7235 §4.1): every 401 of the API lists each scheme's. */
  challenge: (c: Context<ApiEnv>, protection: Protection) => string
  /** How a header without credentials, or with spaces in them, is refused. */
  malformed: (c: Context, protection: Protection, detail: string) => Response
  /** The caller, or the response refusing the credentials. */
  verify: (c: Context<ApiEnv>, protection: Protection, credentials: string) => Promise<AuthContext | Response>
}

const bearer: Scheme = {
  challenge: (c, protection) => resourceChallenge(c, protection),
  malformed: malformedBearer,
  async verify(c, protection, credentials) {
    const auth = await verifyBearerToken(tokenStore(c), credentials)
    if (!auth) return invalidToken(c, protection)
    // RFC 9449 §7.2: a DPoP-bound token is no bearer token.
    if (auth.jkt !== undefined)
      return dpopRefused(c, protection, { error: 'invalid_token', description: MESSAGES.boundToken })
    // RFC 8707 / RFC 6750 §3.1: a token minted for another resource is invalid here.
    return audienceIncludes(c, auth, protection.resource) ? auth : invalidToken(c, protection, MESSAGES.otherResource)
  },
}

/** RFC 9449 §7: an access token bound to a key, with a proof of that key for this request. */
const dpop: Scheme = {
  challenge: (c, protection) => resourceDpopChallenge(c, protection),
  malformed: (c, protection, detail) => dpopRefused(c, protection, { error: 'invalid_request', description: detail }),
  async verify(c, protection, credentials) {
    const outcome = await authenticateDpop(c, credentials)
    if ('error' in outcome) return dpopRefused(c, protection, outcome)
    if (!audienceIncludes(c, outcome.auth, protection.resource)) {
      return dpopRefused(c, protection, { error: 'invalid_token', description: MESSAGES.otherResource })
    }
    // RFC 9449 §9: the next nonce, on the response of a proof whose nonce is about to expire.
    if (outcome.freshNonce !== undefined) c.header(DPOP_NONCE_HEADER, outcome.freshNonce)
    return outcome.auth
  },
}

/** DRF's TokenAuthentication, with its exact messages. */
const token: Scheme = {
  challenge: () => TOKEN_CHALLENGE,
  malformed: tokenAuthFailed,
  async verify(c, protection, credentials) {
    const found = await lookupApiKey(tokenStore(c), credentials)
    if (found.status === 'valid') return found.context
    return tokenAuthFailed(c, protection, found.status === 'inactive' ? MESSAGES.userInactive : MESSAGES.invalidToken)
  },
}

/** Lower-cased scheme name (RFC 7235 §2.1: case-insensitive) → how it is checked. */
const SCHEMES = { bearer, token, dpop } satisfies Record<string, Scheme>

type SchemeName = keyof typeof SCHEMES
const EVERY_SCHEME: readonly SchemeName[] = ['bearer', 'token', 'dpop']

/**
 * RFC 7235 §4.1: `protection`, whose 401s name every scheme the API accepts. The refusing
 * scheme's challenge (with its error code) comes first; the others follow as further header lines.
 */
function challengingEveryScheme(
  c: Context<ApiEnv>,
  protection: Protection,
  accepted: readonly SchemeName[],
): Protection {
  const withEveryChallenge = (headers: ChallengeHeaders): ChallengeHeaders => {
    const sent = [headers['WWW-Authenticate'] ?? []].flat()
    const others = accepted
      .map((name) => SCHEMES[name].challenge(c, protection))
      .filter((challenge) => {
        const name = challenge.split(' ')[0].toLowerCase()
        return !sent.some((line) => line.toLowerCase().startsWith(name))
      })
    return { ...headers, 'WWW-Authenticate': [...sent, ...others] }
  }
  return {
    ...protection,
    refuse: (c, status, message, headers) =>
      protection.refuse(c, status, message, status === 401 ? withEveryChallenge(headers) : headers),
  }
}

/**
 * Sets `c.var.auth` (ApiEnv): only the routes behind it can read the caller; and
 * `c.var.protection`, for the permission guards' refusals. `accepted` narrows the schemes as a
 * DRF view's authentication_classes do: any other scheme counts as none. `protection`: what the
 * routes behind it protect (the resource API unless given).
 */
export function authenticate(
  accepted: readonly SchemeName[] = EVERY_SCHEME,
  protection: Protection = API_PROTECTION,
): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    c.set('protection', protection)
    const refused = await identify(c, challengingEveryScheme(c, protection, accepted), accepted)
    if (refused) return refused
    await next()
  }
}

/** Sets `c.var.auth`, or returns the response refusing the request. */
async function identify(
  c: Context<ApiEnv>,
  protection: Protection,
  accepted: readonly SchemeName[],
): Promise<Response | undefined> {
  // Without Bearer, the bare challenge is DRF's `Token`.
  const notProvided = () =>
    accepted.includes('bearer') ? notAuthenticated(c, protection) : tokenAuthFailed(c, protection, MESSAGES.notProvided)
  const parsed = parseAuthorization(c.req.header('Authorization'))
  if (!parsed) return notProvided()
  const name = parsed.scheme as SchemeName
  // DRF: a scheme no authenticator claims means no credentials were given.
  const scheme = Object.hasOwn(SCHEMES, name) && accepted.includes(name) ? SCHEMES[name] : undefined
  if (!scheme) return notProvided()
  const problem = credentialsProblem(parsed.credentials)
  if (problem) return scheme.malformed(c, protection, problem)
  if (await sendsTokenTwice(c)) return malformedBearer(c, protection, MESSAGES.severalMethods)

  const result = await scheme.verify(c, protection, parsed.credentials)
  if (result instanceof Response) return result
  c.set('auth', result)
}
