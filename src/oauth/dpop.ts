/**
 * @module
 * DPoP at the token endpoint (RFC 9449 §5): a token request with a valid `DPoP` proof gets an
 * access token bound to the proof's key (`token_type: DPoP`, `cnf.jkt` on its row), and a public
 * client's refresh token is bound to that key too, to be refreshed only with a proof of it
 * (./grants/refresh-token.ts). A client registered with `dpop_bound_access_tokens` (§5.2) must
 * send a proof. Proofs are checked as at the resources (src/auth/dpop.ts); their single use is
 * recorded in D1 here whatever DPOP_REPLAY_CHECK says (a token request writes to D1 anyway), and
 * only once the client has authenticated, so an unauthenticated request writes nothing.
 */
import type { Context } from 'hono'
import {
  type CheckedProof,
  checkRequestProof,
  DPOP_NONCE_HEADER,
  type DpopRefusal,
  recordProofUse,
} from '../auth/dpop.ts'
import type { Application } from '../db/schema.ts'
import { OAuthError } from '../http/oauth.ts'
import type { AppEnv } from '../types.ts'

/** §5, §8: a refused proof is a 400 in the OAuth dialect (use_dpop_nonce with the nonce to use). */
function refused(refusal: DpopRefusal): never {
  const code = refusal.error === 'use_dpop_nonce' ? 'use_dpop_nonce' : 'invalid_dpop_proof'
  throw new OAuthError(code, refusal.description, {
    headers: refusal.nonce === undefined ? {} : { [DPOP_NONCE_HEADER]: refusal.nonce },
  })
}

/** The token request's DPoP proof, checked (§4.3, §8); null when it has none. Throws the §5 / §8 error. */
export async function tokenRequestProof<E extends AppEnv>(c: Context<E>): Promise<CheckedProof | null> {
  const proof = await checkRequestProof(c)
  if (proof === undefined) return null
  if ('error' in proof) refused(proof)
  return proof
}

/**
 * Once the client is authenticated: §5.2, a client registered with dpop_bound_access_tokens sends
 * a proof; §11.1, the proof is used once (recorded in D1, where every isolate sees it).
 */
export async function acceptTokenRequestProof<E extends AppEnv>(
  c: Context<E>,
  application: Application,
  proof: CheckedProof | null,
): Promise<void> {
  if (proof === null) {
    if (application.dpopBoundAccessTokens) {
      refused({
        error: 'invalid_dpop_proof',
        description: 'This client must send a DPoP proof (dpop_bound_access_tokens).',
      })
    }
    return
  }
  const replayed = await recordProofUse(c, proof, 'shared')
  if (replayed) refused(replayed)
}

/** §5: the response's token_type, from what the access token was bound to (not from the request). */
export function tokenType(issued: { jkt: string | null }): 'DPoP' | 'Bearer' {
  return issued.jkt === null ? 'Bearer' : 'DPoP'
}
