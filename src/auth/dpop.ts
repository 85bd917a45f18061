/**
 * @module
 * DPoP at this Worker's endpoints (RFC 9449). A request's `DPoP` header is checked against the
 * request (src/crypto/dpop.ts: one signature check, no I/O), against a current nonce when
 * DPOP_REQUIRE_NONCE is on (src/crypto/dpop-nonce.ts: no I/O either), and, once everything else
 * held, recorded as used (src/tokens/proof-replay.ts). At a resource, `Authorization: DPoP <token>`
 * is looked up as a Bearer token is (memory → KV → D1: the cached context carries the token's
 * thumbprint) and accepted only with a proof whose `ath` is its hash, signed by the key it is
 * bound to (§7). The resource middleware (./authenticate.ts) and UserInfo word the refusals in
 * their dialects with the §7.1 challenge built here; the token endpoint checks its proofs here too.
 */
import type { Context } from 'hono'
import { DPOP_ALGORITHMS, type DpopProof, DpopProofError, verifyDpopProof } from '../crypto/dpop.ts'
import { acceptsDpopNonce, currentDpopNonce } from '../crypto/dpop-nonce.ts'
import { config, db, tokenStore } from '../lib/request-context.ts'
import { nowSeconds } from '../lib/time.ts'
import type { AuthContext } from '../tokens/auth-context.ts'
import { firstUseOfProof, type ProofReplayCheck } from '../tokens/proof-replay.ts'
import type { AppEnv } from '../types.ts'
import { BEARER_MESSAGES, verifyBearerToken } from './bearer.ts'

/** §8.1, §9: the header a server hands its nonce out in. */
export const DPOP_NONCE_HEADER = 'DPoP-Nonce'

/** §7.1: RFC 6750's error codes, and §5's invalid_dpop_proof and §8's use_dpop_nonce. */
export type DpopError = 'invalid_request' | 'invalid_token' | 'invalid_dpop_proof' | 'use_dpop_nonce'

/** A refusal: its error code, what to tell the client, and with use_dpop_nonce the nonce to send. */
export type DpopRefusal = { error: DpopError; description: string; nonce?: string }

const DPOP_MESSAGES = {
  proofRequired: 'A DPoP proof is required with this access token: send it in the DPoP header.',
  notBound: 'This access token is not bound to a DPoP key: send it as a Bearer token.',
  otherKey: 'The DPoP proof is not signed by the key this access token is bound to.',
  replayed: 'This DPoP proof was already used (its jti): make a new one for each request.',
  severalProofs: 'Send exactly one DPoP header.',
  nonceRequired: 'Send a DPoP proof with the nonce this server gives in the DPoP-Nonce header.',
} as const

/** The status a refusal is answered with: 400 for a malformed request, 401 for the rest (§7.1). */
export function dpopRefusalStatus(refusal: DpopRefusal): 400 | 401 {
  return refusal.error === 'invalid_request' ? 400 : 401
}

/**
 * §7.1: `DPoP algs="…"` (the algorithms proofs may use), with the realm, the error code, the scope
 * needed and the resource's RFC 9728 metadata URL when given. No error_description: it may hold characters a
 * header cannot; the body says it.
 */
export function dpopChallenge(
  options: {
    realm?: string
    error?: DpopError | 'insufficient_scope'
    scope?: string
    resourceMetadata?: string | null
  } = {},
): string {
  const params: string[] = []
  if (options.realm) params.push(`realm="${options.realm}"`)
  if (options.error) params.push(`error="${options.error}"`)
  if (options.scope) params.push(`scope="${options.scope}"`)
  params.push(`algs="${DPOP_ALGORITHMS.join(' ')}"`)
  if (options.resourceMetadata) params.push(`resource_metadata="${options.resourceMetadata}"`)
  return `DPoP ${params.join(', ')}`
}

/** A proof that held, with the nonce to hand out when the one it carried is no longer the current one. */
export type CheckedProof = DpopProof & { freshNonce?: string }

/**
 * The request's DPoP proof checked (§4.3) against its method and URL, at a resource against
 * `accessToken`'s hash, and against a current nonce when DPOP_REQUIRE_NONCE is on; or the refusal;
 * undefined when the request carries no DPoP header. Its use is recorded by `recordProofUse`.
 */
export async function checkRequestProof<E extends AppEnv>(
  c: Context<E>,
  accessToken?: string,
): Promise<CheckedProof | DpopRefusal | undefined> {
  const header = c.req.header('DPoP')
  if (header === undefined) return undefined
  // §4.3 (1): one DPoP header. Repeated ones arrive joined by commas, which no JWT holds.
  if (header.includes(',')) return { error: 'invalid_dpop_proof', description: DPOP_MESSAGES.severalProofs }
  const now = nowSeconds()
  let proof: DpopProof
  try {
    proof = await verifyDpopProof(header.trim(), { method: c.req.method, url: c.req.url, accessToken, now })
  } catch (error) {
    if (error instanceof DpopProofError) return { error: 'invalid_dpop_proof', description: error.message }
    throw error
  }
  if (!config(c).dpop.requireNonce) return proof
  const current = await currentDpopNonce(c.env.SECRET_KEY, now)
  if (proof.nonce === undefined || !(await acceptsDpopNonce(c.env.SECRET_KEY, proof.nonce, now))) {
    return { error: 'use_dpop_nonce', description: DPOP_MESSAGES.nonceRequired, nonce: current }
  }
  // §8.2: a nonce still accepted but no longer current is replaced in the response.
  return proof.nonce === current ? proof : { ...proof, freshNonce: current }
}

/** Records the proof's single use (§11.1); the refusal when it was used before. */
export async function recordProofUse<E extends AppEnv>(
  c: Context<E>,
  proof: DpopProof,
  check: ProofReplayCheck,
): Promise<DpopRefusal | undefined> {
  const use = { jkt: proof.jkt, htu: proof.htu, jti: proof.jti, refusedFrom: proof.refusedFrom }
  if (await firstUseOfProof(db(c), use, check, nowSeconds())) return undefined
  return { error: 'invalid_dpop_proof', description: DPOP_MESSAGES.replayed }
}

/** An access token sent as `Authorization: DPoP` with its proof: the caller, or the refusal. */
export type DpopAuthentication = { auth: AuthContext; freshNonce?: string } | DpopRefusal

/**
 * §7: the caller of `Authorization: DPoP <credentials>`. The token must be live and bound to the
 * proof's key (an unbound one is a Bearer token: §7.1 refuses it here), the proof must hold for
 * this request and the token, and be used for the first time.
 */
export async function authenticateDpop<E extends AppEnv>(
  c: Context<E>,
  credentials: string,
): Promise<DpopAuthentication> {
  // The lookup a Bearer token gets (memory → KV → D1); its binding is checked below.
  const auth = await verifyBearerToken(tokenStore(c), credentials)
  if (!auth) return { error: 'invalid_token', description: BEARER_MESSAGES.invalidToken }
  const proof = await checkRequestProof(c, credentials)
  if (proof === undefined) return { error: 'invalid_dpop_proof', description: DPOP_MESSAGES.proofRequired }
  if ('error' in proof) return proof
  if (auth.jkt === undefined) return { error: 'invalid_token', description: DPOP_MESSAGES.notBound }
  if (auth.jkt !== proof.jkt) return { error: 'invalid_token', description: DPOP_MESSAGES.otherKey }
  const replayed = await recordProofUse(c, proof, config(c).dpop.replayCheck)
  return replayed ?? { auth, freshNonce: proof.freshNonce }
}
