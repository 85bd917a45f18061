/**
 * @module
 * A user's DRF `Token` key in the console: create one (shown once; only its digest is kept)
 * or revoke it. Today each user has at most one key (src/tokens/api-keys.ts); this module is
 * the console's only caller of those functions, so a switch to several keys per user changes
 * this file alone.
 */
import type { Context } from 'hono'
import type { Db } from '../db/client.ts'
import { NO_STORE_HEADERS } from '../http/semantics.ts'
import { db, tokenStore } from '../lib/request-context.ts'
import { type ApiKeyInfo, createApiKey, findUserApiKey, revokeUserApiKey } from '../tokens/api-keys.ts'
import type { StaffEnv } from '../types.ts'
import { ErrorPage } from '../views/error.tsx'
import { recordAudit } from './audit.ts'
import { notFound, redirectAfterPost } from './request.tsx'
import { managedUser, userPath } from './user-access.ts'
import { ConsolePage, formatTime, PostButton, SecretOnce } from './views.tsx'

export type UserApiKey = ApiKeyInfo | undefined

export function userApiKey(database: Db, userId: number): Promise<UserApiKey> {
  return findUserApiKey(database, userId)
}

/** The key's line on the user's page; `base` is the user's console path for the buttons (null: none). */
export function ApiKeyPanel(props: { apiKey: UserApiKey; base: string | null }) {
  const { apiKey, base } = props
  if (!apiKey) {
    return (
      <>
        <p>No API key.</p>
        {base ? <PostButton action={`${base}api-key/create/`} label="Create API key" variant="primary" /> : null}
      </>
    )
  }
  return (
    <>
      <p>
        Key #{apiKey.id}, created {formatTime(apiKey.created)}.
      </p>
      {base ? (
        <PostButton action={`${base}api-key/${apiKey.id}/revoke/`} label="Revoke API key" variant="danger" />
      ) : null}
    </>
  )
}

export async function createKey(c: Context<StaffEnv>) {
  const user = await managedUser(c)
  if (user instanceof Response) return user
  const key = await createApiKey(tokenStore(c), user.id)
  if (key === null) {
    return c.html(
      <ErrorPage title="Conflict" error="conflict" description="The user already has an API key; revoke it first." />,
      409,
      NO_STORE_HEADERS,
    )
  }
  await recordAudit(db(c), c.var.staff, {
    action: 'api_key.create',
    objectType: 'user',
    objectId: user.id,
    objectRepr: user.username,
    message: 'Created an API key.',
  })
  return c.html(
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
  const current = await findUserApiKey(db(c), user.id)
  if (!current || String(current.id) !== c.req.param('key')) return notFound(c)
  if (!(await revokeUserApiKey(tokenStore(c), user.id))) return notFound(c)
  await recordAudit(db(c), c.var.staff, {
    action: 'api_key.revoke',
    objectType: 'user',
    objectId: user.id,
    objectRepr: user.username,
    message: `Revoked API key #${current.id}.`,
  })
  return redirectAfterPost(c, userPath(user), 'key_revoked')
}
