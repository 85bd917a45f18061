/**
 * @module
 * Creating a user's DRF `Token` key from the console (shown once; only its digest is kept), and
 * revoking one; each written with its audit row in one D1 batch.
 */
import { sql } from 'drizzle-orm'
import type { Context } from 'hono'
import { auditStatement } from '../../accounts/audit.ts'
import { parsePk } from '../../lib/forms.ts'
import { db, tokenStore } from '../../lib/request-context.ts'
import { issueApiKey, newestApiKeyId, revokeApiKey } from '../../tokens/api-keys.ts'
import { notFound, renderPrivatePage, seeOther } from '../kit/page.tsx'
import type { PageEnv } from '../kit/session.ts'
import { NewApiKeyPage } from './api-keys.views.tsx'
import { managedUser } from './request.ts'
import { userPath } from './shell.tsx'

export async function createKey(c: Context<PageEnv>) {
  const user = await managedUser(c)
  if (user instanceof Response) return user
  const { key } = await issueApiKey(tokenStore(c), user.id, [
    auditStatement(db(c), c.var.user, {
      action: 'api_key.create',
      objectType: 'user',
      objectId: user.id,
      objectRepr: user.username,
      message: sql`'Created API key #' || ${newestApiKeyId(db(c), user.id)} || '.'`,
    }),
  ])
  return renderPrivatePage(c, <NewApiKeyPage staff={c.var.user} user={user} apiKey={key} />)
}

export async function revokeKey(c: Context<PageEnv>) {
  const user = await managedUser(c)
  if (user instanceof Response) return user
  const id = parsePk(c.req.param('key') ?? '')
  if (id === null) return notFound(c)
  const audit = auditStatement(db(c), c.var.user, {
    action: 'api_key.revoke',
    objectType: 'user',
    objectId: user.id,
    objectRepr: user.username,
    message: `Revoked API key #${id}.`,
  })
  if (!(await revokeApiKey(tokenStore(c), user.id, id, [audit]))) return notFound(c)
  return seeOther(c, userPath(user), 'key_revoked')
}
