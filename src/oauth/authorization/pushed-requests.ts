/**
 * @module
 * Pushed authorization requests (RFC 9126): the table `pushed_authorization_requests`. A push
 * stores the validated parameters under a fresh request_uri (`urn:ietf:params:oauth:request_uri:`
 * and a minted value carrying the server's MAC, so a made-up one is refused before any read;
 * only its digest is stored, §7.1); the authorization request reads them back; the first
 * authorization response consumes them (§4: single use; reloads before that are allowed).
 */
import { and, eq, gt, isNull } from 'drizzle-orm'
import { sha256Hex } from '../../crypto/digest.ts'
import type { TokenFormat } from '../../crypto/token-format.ts'
import type { Db } from '../../db/client.ts'
import { pushedAuthorizationRequests } from '../../db/schema.ts'
import type { RawParams } from '../../lib/forms.ts'
import { nowSeconds } from '../../lib/time.ts'

/** RFC 9126 §2.2: the URN namespace of a request_uri. */
const REQUEST_URI_PREFIX = 'urn:ietf:params:oauth:request_uri:'

export type PushedRequest = {
  id: number
  applicationId: number
  params: RawParams
  /** Unix seconds of the push. */
  pushedAt: number
}

/** Stores a validated pushed request for `lifetime` seconds; returns its request_uri. */
export async function storePushedRequest(
  db: Db,
  format: TokenFormat,
  input: { applicationId: number; params: RawParams; lifetime: number },
): Promise<string> {
  const reference = await format.mint('pushedRequest')
  // The push's time by the clock that sessions' login times are read by (the request's, not D1's).
  const now = nowSeconds()
  await db.insert(pushedAuthorizationRequests).values({
    requestUriHash: await sha256Hex(reference),
    applicationId: input.applicationId,
    params: JSON.stringify(input.params),
    expiresAt: now + input.lifetime,
    createdAt: new Date(now * 1000),
  })
  return REQUEST_URI_PREFIX + reference
}

/**
 * The live (unexpired, unused) pushed request `requestUri` names, or undefined. Read from `reads`
 * (perhaps a replica), then from the primary when `reads` lacks it: a push is followed at once
 * by the authorization request, which a replica may not have caught up with.
 */
export async function findPushedRequest(
  reads: Db,
  primary: Db,
  format: TokenFormat,
  requestUri: string,
): Promise<PushedRequest | undefined> {
  if (!requestUri.startsWith(REQUEST_URI_PREFIX)) return undefined
  const reference = requestUri.slice(REQUEST_URI_PREFIX.length)
  if (!(await format.isWellFormed(reference, 'pushedRequest'))) return undefined
  const digest = await sha256Hex(reference)
  const read = (db: Db) =>
    db
      .select()
      .from(pushedAuthorizationRequests)
      .where(
        and(
          eq(pushedAuthorizationRequests.requestUriHash, digest),
          isNull(pushedAuthorizationRequests.consumedAt),
          gt(pushedAuthorizationRequests.expiresAt, nowSeconds()),
        ),
      )
      .get()
  const row = (await read(reads)) ?? (reads === primary ? undefined : await read(primary))
  if (!row) return undefined
  return {
    id: row.id,
    applicationId: row.applicationId,
    params: JSON.parse(row.params) as RawParams,
    pushedAt: Math.floor(row.createdAt.getTime() / 1000),
  }
}

/**
 * Marks the pushed request used, if it still was live: true for exactly one caller, so of
 * concurrent answers to one request_uri only one is sent (§4).
 */
export async function consumePushedRequest(db: Db, id: number): Promise<boolean> {
  const now = nowSeconds()
  const consumed = await db
    .update(pushedAuthorizationRequests)
    .set({ consumedAt: now })
    .where(
      and(
        eq(pushedAuthorizationRequests.id, id),
        isNull(pushedAuthorizationRequests.consumedAt),
        gt(pushedAuthorizationRequests.expiresAt, now),
      ),
    )
    .returning({ id: pushedAuthorizationRequests.id })
    .get()
  return consumed !== undefined
}
