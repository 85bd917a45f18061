/**
 * @module
 * ID Tokens (OIDC Core §2): signed with jose by the newest configured key of the client's
 * algorithm, and verified against every configured key (what the JWKS publishes).
 */
import { base64url, createLocalJWKSet, errors, type JWTPayload, jwtVerify, SignJWT } from 'jose'
import { utf8 } from '../../crypto/encoding.ts'
import { SIGNING_ALGORITHMS, type SigningAlgorithm, type SigningKeys } from '../../crypto/signing-keys.ts'
import { nowSeconds } from '../../lib/time.ts'
import { type ClaimsUser, userClaims } from './claims.ts'

// OIDC Core §3.1.3.6: at_hash uses the hash of the id_token's JWS algorithm (SHA-256 for *256).
const HASH_OF: Record<SigningAlgorithm, 'SHA-256'> = { RS256: 'SHA-256', ES256: 'SHA-256' }

export type IdTokenInput = {
  keys: SigningKeys
  issuer: string
  /** The client the token is for: `aud`. */
  clientId: string
  user: ClaimsUser
  /** The granted scopes: profile/email add their claims. */
  scopes: readonly string[]
  /** From the authorization request, carried through the code; omitted when absent. */
  nonce?: string | null
  /** When the user authenticated, Unix seconds (OIDC Core §2 auth_time). */
  authTime: number
  /** The access token issued alongside: adds at_hash. */
  accessToken?: string | null
  /** The application's `algorithm`. */
  algorithm: SigningAlgorithm
  /** Seconds: ID_TOKEN_EXPIRE_SECONDS. */
  lifetime: number
  /** Unix seconds; now when absent. */
  issuedAt?: number
}

/**
 * OIDC Core §3.1.3.6: base64url of the left half of the hash of the access token's ASCII octets.
 * @internal Exported for tests: test/oidc/id-token.test.ts checks OIDC Core's example.
 */
export async function accessTokenHash(accessToken: string, algorithm: SigningAlgorithm): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest(HASH_OF[algorithm], utf8(accessToken)))
  return base64url.encode(digest.subarray(0, digest.length / 2))
}

export async function createIdToken(input: IdTokenInput): Promise<string> {
  const key = input.keys.signer(input.algorithm)
  // A configuration fault, not a client error: the global handler logs it as a 500.
  if (!key) throw new Error(`No ${input.algorithm} key in OIDC_SIGNING_KEYS for client ${input.clientId}`)
  const issuedAt = input.issuedAt ?? nowSeconds()
  const payload: JWTPayload = {
    ...userClaims(input.user, input.scopes),
    auth_time: input.authTime,
    ...(input.nonce ? { nonce: input.nonce } : {}),
    ...(input.accessToken ? { at_hash: await accessTokenHash(input.accessToken, input.algorithm) } : {}),
  }
  return new SignJWT(payload)
    .setProtectedHeader({ alg: key.alg, kid: key.kid })
    .setIssuer(input.issuer)
    .setAudience(input.clientId)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + input.lifetime)
    .sign(key.privateKey)
}

/**
 * The claims of an ID Token this issuer signed with any configured key. With `allowExpired`,
 * an expired token is accepted once its signature and issuer hold (RP-Initiated Logout §2
 * allows expired id_token_hint values); anything else invalid throws.
 */
export async function verifyIdToken(
  token: string,
  keys: SigningKeys,
  options: { issuer: string; allowExpired?: boolean },
): Promise<JWTPayload> {
  try {
    const { payload } = await jwtVerify(token, createLocalJWKSet(keys.jwks), {
      issuer: options.issuer,
      algorithms: [...SIGNING_ALGORITHMS],
      requiredClaims: ['sub', 'aud', 'exp', 'iat'],
    })
    return payload
  } catch (error) {
    // jose checks the signature, then iss, then the times: JWTExpired means all else held.
    if (options.allowExpired && error instanceof errors.JWTExpired && error.claim === 'exp') return error.payload
    throw error
  }
}
