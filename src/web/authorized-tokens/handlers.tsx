/**
 * @module
 * DOT's AuthorizedTokenList/Delete views for the logged-in user (`c.var.user`): the applications
 * they let into their account, and revoking one. Another user's token is a 404 page.
 */
import type { Context } from 'hono'
import { parsePk } from '../../lib/forms.ts'
import { config, tokenStore } from '../../lib/request-context.ts'
import { authorizedTokenPage, findAuthorizedToken } from '../../tokens/lists.ts'
import { revokeAuthorizedToken } from '../../tokens/revocation.ts'
import { ConfirmPage } from '../kit/confirm.tsx'
import { notFound, renderPrivatePage, seeOther } from '../kit/page.tsx'
import { requestedPage } from '../kit/pagination.tsx'
import type { PageEnv } from '../kit/session.ts'
import { AUTHORIZED_TOKENS_PATH, AuthorizedTokenSummary, AuthorizedTokensPage } from './views.tsx'

type PageContext = Context<PageEnv>

function describeScope(c: PageContext) {
  const scopes = config(c).scopes
  return (name: string) => scopes[name] ?? name
}

async function ownToken(c: PageContext) {
  const id = parsePk(c.req.param('id') ?? '')
  return id === null ? undefined : findAuthorizedToken(tokenStore(c), c.var.user.id, id)
}

export async function listTokens(c: PageContext) {
  const request = requestedPage(c)
  const page = request && (await authorizedTokenPage(tokenStore(c), c.var.user.id, request, config(c).pageSize))
  if (!page) return notFound(c)
  return renderPrivatePage(c, <AuthorizedTokensPage page={page} describeScope={describeScope(c)} />)
}

export async function revokeTokenForm(c: PageContext) {
  const token = await ownToken(c)
  if (!token) return notFound(c)
  return renderPrivatePage(
    c,
    <ConfirmPage
      title={`Revoke ${token.applicationName}?`}
      action={`${AUTHORIZED_TOKENS_PATH}${token.id}/delete/`}
      button="Revoke"
      cancel={AUTHORIZED_TOKENS_PATH}
    >
      <AuthorizedTokenSummary token={token} describeScope={describeScope(c)} />
    </ConfirmPage>,
  )
}

export async function revokeToken(c: PageContext) {
  const id = parsePk(c.req.param('id') ?? '')
  const revoked = id !== null && (await revokeAuthorizedToken(tokenStore(c), c.var.user.id, id))
  return revoked ? seeOther(c, AUTHORIZED_TOKENS_PATH) : notFound(c)
}
