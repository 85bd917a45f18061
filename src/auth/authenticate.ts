/**
 * @module
 * Authentication middleware for the resource API: `Authorization: Bearer <token>` (OAuth2
 * access tokens) or `Authorization: Token <key>` (API keys, under DRF's scheme name) → `c.var.auth`. Each scheme is one
 * entry of a table, which also gives every 401 its list of challenges. Credentials are read from
 * the header only: RFC 9700 §4.3.2 advises against access tokens in URLs, so `?access_token=` is
 * ignored, and refused beside a header (RFC 6750 §3.1).
 */
import type { Context, MiddlewareHandler } from 'hono'
import { parseAuthorization } from '../http/authorization.ts'
import { tokenStore } from '../lib/request-context.ts'
import { lookupApiKey } from '../tokens/api-keys.ts'
import type { AuthContext } from '../tokens/auth-context.ts'
import type { ApiEnv } from '../types.ts'
import { credentialsProblem, sendsTokenTwice, verifyBearerToken } from './bearer.ts'
import {
  apiBearerChallenge,
  invalidToken,
  MESSAGES,
  malformedBearer,
  notAuthenticated,
  TOKEN_CHALLENGE,
  tokenAuthFailed,
} from './responses.ts'

type Scheme = {
  /** The scheme's bare challenge (RFC 7235 §4.1): every 401 of the API lists each scheme's. */
  challenge: (c: Context<ApiEnv>) => string
  /** How a header without credentials, or with spaces in them, is refused. */
  malformed: (c: Context, detail: string) => Response
  /** The caller, or the response refusing the credentials. */
  verify: (c: Context<ApiEnv>, credentials: string) => Promise<AuthContext | Response>
}

const bearer: Scheme = {
  challenge: (c) => apiBearerChallenge(c),
  malformed: malformedBearer,
  async verify(c, credentials) {
    return (await verifyBearerToken(tokenStore(c), credentials)) ?? invalidToken(c)
  },
}

/** DRF's TokenAuthentication, with its exact messages. */
const token: Scheme = {
  challenge: () => TOKEN_CHALLENGE,
  malformed: tokenAuthFailed,
  async verify(c, credentials) {
    const found = await lookupApiKey(tokenStore(c), credentials)
    if (found.status === 'valid') return found.context
    return tokenAuthFailed(c, found.status === 'inactive' ? MESSAGES.userInactive : MESSAGES.invalidToken)
  },
}

/** Lower-cased scheme name (RFC 7235 §2.1: case-insensitive) → how it is checked. */
const SCHEMES = { bearer, token } satisfies Record<string, Scheme>

type SchemeName = keyof typeof SCHEMES
const EVERY_SCHEME: readonly SchemeName[] = ['bearer', 'token']

/**
 * RFC 7235 §4.1: a 401 names every scheme the API accepts. The refusing scheme's challenge
 * (with its error code) comes first; the others follow as further header lines.
 */
function challengeEveryScheme(c: Context<ApiEnv>, response: Response, accepted: readonly SchemeName[]): Response {
  if (response.status !== 401) return response
  const sent = response.headers.get('WWW-Authenticate') ?? ''
  for (const scheme of accepted.map((name) => SCHEMES[name])) {
    const challenge = scheme.challenge(c)
    const name = challenge.split(' ')[0].toLowerCase()
    if (!sent.toLowerCase().startsWith(name)) response.headers.append('WWW-Authenticate', challenge)
  }
  return response
}

/**
 * Sets `c.var.auth` (ApiEnv): only the routes behind it can read the caller. `accepted` narrows
 * the schemes as a DRF view's authentication_classes do: any other scheme counts as none.
 */
export function authenticate(accepted: readonly SchemeName[] = EVERY_SCHEME): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const refused = await identify(c, accepted)
    if (refused) return challengeEveryScheme(c, refused, accepted)
    await next()
  }
}

/** Sets `c.var.auth`, or returns the response refusing the request. */
async function identify(c: Context<ApiEnv>, accepted: readonly SchemeName[]): Promise<Response | undefined> {
  // Without Bearer, the bare challenge is DRF's `Token`.
  const notProvided = () =>
    accepted.includes('bearer') ? notAuthenticated(c) : tokenAuthFailed(c, MESSAGES.notProvided)
  const parsed = parseAuthorization(c.req.header('Authorization'))
  if (!parsed) return notProvided()
  const name = parsed.scheme as SchemeName
  // DRF: a scheme no authenticator claims means no credentials were given.
  const scheme = Object.hasOwn(SCHEMES, name) && accepted.includes(name) ? SCHEMES[name] : undefined
  if (!scheme) return notProvided()
  const problem = credentialsProblem(parsed.credentials)
  if (problem) return scheme.malformed(c, problem)
  if (await sendsTokenTwice(c)) return malformedBearer(c, MESSAGES.severalMethods)

  const result = await scheme.verify(c, parsed.credentials)
  if (result instanceof Response) return result
  c.set('auth', result)
}
