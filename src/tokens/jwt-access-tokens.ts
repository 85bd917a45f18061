/**
 * @module
 * RFC 9068 JWT access tokens, for the resources configured to receive them
 * (JWT_ACCESS_TOKEN_RESOURCES): a resource server that cannot call introspection verifies one with
 * the JWKS alone. Each is issued as an opaque token is — a row in access_tokens, under the digest
 * of a minted token that is never handed out — and its `jti` is that digest (base64url), followed
 * outside shard 0 by the number of the token shard that holds the row (two bytes,
 * src/tokens/shards.ts), so the row answers for the JWT: introspection and revocation verify the
 * JWT (this issuer's key, `typ: at+jwt`), read its jti and find the row in its shard, which a
 * revocation deletes. A resource server
 * that only verifies signatures cannot see that: it accepts the JWT until its `exp`.
 */
import { base64url, createLocalJWKSet, type JWTVerifyGetKey, jwtVerify, SignJWT } from 'jose'
import { toHex } from '../crypto/encoding.ts'
import type { SigningKeys } from '../crypto/signing-keys.ts'

/** RFC 9068 §2.1: every such token is signed with RS256, which every verifier supports. */
const ALGORITHM = 'RS256'
const TYPE = 'at+jwt'
// A compact JWS: three base64url parts.
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/
// Far above any token signed here.
const MAX_LENGTH = 8192
const DIGEST_BYTES = 32
// The shard number after the digest (at most MAX_TOKEN_SHARD, 3843); absent: shard 0.
const SHARD_BYTES = 2

function fromHex(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g) ?? [], (byte) => Number.parseInt(byte, 16))
}

/** How to sign a JWT access token: this server's keys and issuer, and the token's audience (RFC 8707, spelled out). */
export type JwtAccessTokenSigning = { keys: SigningKeys; issuer: string; audience: readonly string[] }

export type JwtAccessTokenClaims = {
  /** SHA-256 hex of the minted token whose row stands for this JWT: its `jti`. */
  digest: string
  /** The token shard that holds that row, in the `jti` too. */
  shard: number
  /** null for a token acting for no user (client_credentials): `sub` is then the client (§2.2). */
  userId: number | null
  clientId: string
  scopes: readonly string[]
  /** Unix seconds. */
  issuedAt: number
  expiresAt: number
  /** RFC 9449 §6.1: the DPoP key's thumbprint, as `cnf.jkt`. */
  jkt: string | null
}

/** RFC 9068 §2: the JWT that stands for the access token row `claims.digest`. */
export async function signJwtAccessToken(
  signing: JwtAccessTokenSigning,
  claims: JwtAccessTokenClaims,
): Promise<string> {
  const key = signing.keys.signer(ALGORITHM)
  // The key set always holds an RS256 key (src/crypto/signing-keys.ts): a configuration fault otherwise.
  if (!key) throw new Error('No RS256 key in OIDC_SIGNING_KEYS for JWT access tokens')
  const { audience } = signing
  return new SignJWT({
    client_id: claims.clientId,
    scope: claims.scopes.join(' '),
    ...(claims.jkt === null ? {} : { cnf: { jkt: claims.jkt } }),
  })
    .setProtectedHeader({ alg: ALGORITHM, typ: TYPE, kid: key.kid })
    .setIssuer(signing.issuer)
    .setSubject(claims.userId === null ? claims.clientId : String(claims.userId))
    .setAudience(audience.length === 1 ? audience[0] : [...audience])
    .setIssuedAt(claims.issuedAt)
    .setExpirationTime(claims.expiresAt)
    .setJti(base64url.encode(jti(claims.digest, claims.shard)))
    .sign(key.privateKey)
}

function jti(digest: string, shard: number): Uint8Array {
  const bytes = fromHex(digest)
  if (shard === 0) return bytes
  const withShard = new Uint8Array(DIGEST_BYTES + SHARD_BYTES)
  withShard.set(bytes)
  new DataView(withShard.buffer).setUint16(DIGEST_BYTES, shard)
  return withShard
}

/** What verifies this issuer's JWT access tokens (keys loaded only when a JWT is presented). */
export type JwtAccessTokenVerification = { keys: () => Promise<SigningKeys>; issuer: string }

// One local key set per loaded key set (one per isolate).
const keySets = new WeakMap<SigningKeys, JWTVerifyGetKey>()

function keySet(keys: SigningKeys): JWTVerifyGetKey {
  let set = keySets.get(keys)
  if (!set) {
    set = createLocalJWKSet(keys.jwks)
    keySets.set(keys, set)
  }
  return set
}

/**
 * The access token row a JWT access token stands for (its digest and shard), or null when `token`
 * is not one that this issuer signed and that has not expired. Costs a signature check, no I/O.
 */
export async function jwtAccessTokenRow(
  token: string,
  keys: SigningKeys,
  issuer: string,
): Promise<{ digest: string; shard: number } | null> {
  if (token.length > MAX_LENGTH || !JWT_SHAPE.test(token)) return null
  try {
    const { payload } = await jwtVerify(token, keySet(keys), { issuer, typ: TYPE, algorithms: [ALGORITHM] })
    if (typeof payload.jti !== 'string') return null
    const bytes = base64url.decode(payload.jti)
    if (bytes.length === DIGEST_BYTES) return { digest: toHex(bytes), shard: 0 }
    if (bytes.length !== DIGEST_BYTES + SHARD_BYTES) return null
    const shard = new DataView(bytes.buffer, bytes.byteOffset).getUint16(DIGEST_BYTES)
    return { digest: toHex(bytes.subarray(0, DIGEST_BYTES)), shard }
  } catch {
    return null
  }
}

/** Whether `token` has a JWT's shape (then it is no opaque token of ours). */
export function looksLikeJwt(token: string): boolean {
  return JWT_SHAPE.test(token)
}
