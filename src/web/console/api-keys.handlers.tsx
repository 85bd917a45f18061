/**
 * @module
 * A user's DRF `Token` keys in the console (one per device, src/tokens/api-keys.ts): list them
 * (prefix and date, never the key), create one (shown once; only its digest is kept), revoke one.
 */

import { sql } from 'drizzle-orm'
import type { Context } from 'hono'
import { auditStatement } from '../accounts/audit.ts'
import type { Db } from '../db/client.ts'
import { renderPage } from '../http/html.tsx'
import { NO_STORE_HEADERS } from '../http/semantics.ts'
import { db, tokenStore } from '../lib/request-context.ts'
import { type ApiKeyListing, issueApiKey, listApiKeys, newestApiKeyId, revokeApiKey } from '../tokens/api-keys.ts'
import type { StaffEnv } from '../types.ts'
import { notFound, redirectAfterPost } from './request.tsx'
import { managedUser, userPath } from './user-access.ts'
import { ConsolePage, formatTime, PostButton, SecretOnce } from './views.tsx'

export function userApiKeys(database: Db, userId: number): Promise<ApiKeyListing[]> {
  return listApiKeys(database, userId)
}

/** The keys' lines on the user's page; `base` is the user's console path for the buttons (null: none). */
export function ApiKeyPanel(props: { apiKeys: ApiKeyListing[]; base: string | null }) {
  const { apiKeys, base } = props
  return (
    <>
      {apiKeys.length === 0 ? <p>No API keys.</p> : null}
      {apiKeys.map((apiKey) => (
        <p>
          Key #{apiKey.id}
          {apiKey.prefix ? ` (${apiKey.prefix}…)` : ''}, created {formatTime(apiKey.created)}.{' '}
          {base ? <PostButton action={`${base}api-key/${apiKey.id}/revoke/`} label="Revoke" variant="danger" /> : null}
        </p>
      ))}
      {base ? <PostButton action={`${base}api-key/create/`} label="Create API key" variant="primary" /> : null}
    </>
  )
}

export async function createKey(c: Context<StaffEnv>) {
  const user = await managedUser(c)
  if (user instanceof Response) return user
  const { key } = await issueApiKey(tokenStore(c), user.id, [
    auditStatement(db(c), c.var.staff, {
      action: 'api_key.create',
      objectType: 'user',
      objectId: user.id,
      objectRepr: user.username,
      message: sql`'Created API key #' || ${newestApiKeyId(db(c), user.id)} || '.'`,
    }),
  ])
  return renderPage(
    c,
    <ConsolePage title={`API key for ${user.username}`} staff={c.var.staff}>
      <SecretOnce label="The new API key" value={key} />
      <p>
        <a href={userPath(user)}>Back to {user.username}</a>
      </p>
    </ConsolePage>,
    200,
    NO_STORE_HEADERS,
  )
}

export async function revokeKey(c: Context<StaffEnv>) {
  const user = await managedUser(c)
  if (user instanceof Response) return user
  const id = Number(c.req.param('key'))
  if (!Number.isSafeInteger(id)) return notFound(c)
  const audit = auditStatement(db(c), c.var.staff, {
    action: 'api_key.revoke',
    objectType: 'user',
    objectId: user.id,
    objectRepr: user.username,
    message: `Revoked API key #${id}.`,
  })
  if (!(await revokeApiKey(tokenStore(c), user.id, id, [audit]))) return notFound(c)
  return redirectAfterPost(c, userPath(user), 'key_revoked')
}
