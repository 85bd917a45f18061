/**
 * @module
 * Revoking live OAuth tokens from the console, per user and per application: one (an access
 * token with its refresh token; a refresh token with its rotation family) or all of them
 * (confirmation page first). Each revocation is written with its audit row in one D1 batch.
 */
import type { Context } from 'hono'
import { auditStatement } from '../../accounts/audit.ts'
import { parsePk } from '../../lib/forms.ts'
import { db, tokenStore } from '../../lib/request-context.ts'
import type { TokenOwner } from '../../tokens/lists.ts'
import { revokeOwnerTokens, revokeTokenById } from '../../tokens/revocation.ts'
import { notFound, renderPrivatePage, seeOther } from '../kit/page.tsx'
import type { PageEnv } from '../kit/session.ts'
import { guardedApplication, managedUser } from './request.ts'
import { applicationPath, ConsoleConfirmPage, userPath } from './shell.tsx'

type ConsoleContext = Context<PageEnv>

const KINDS = ['access', 'refresh'] as const

/**
 * Whose tokens the path names: the user (whom the staff user must be able to manage) or the
 * application (whose tokens they may revoke, by its owner: src/accounts/rights.ts).
 */
type Holder = { owner: TokenOwner; path: string; repr: string; objectType: 'user' | 'application'; id: number }

async function holder(c: ConsoleContext, of: 'user' | 'application'): Promise<Holder | Response> {
  if (of === 'user') {
    const user = await managedUser(c)
    if (user instanceof Response) return user
    return { owner: { userId: user.id }, path: userPath(user), repr: user.username, objectType: 'user', id: user.id }
  }
  const application = await guardedApplication(c, 'revoke-tokens')
  if (application instanceof Response) return application
  return {
    owner: { applicationId: application.id },
    path: applicationPath(application.id),
    repr: application.name,
    objectType: 'application',
    id: application.id,
  }
}

/** POST …/tokens/:kind/:token/revoke/ for a user's or an application's token. */
export function revokeOne(of: 'user' | 'application') {
  return async (c: ConsoleContext) => {
    const found = await holder(c, of)
    if (found instanceof Response) return found
    const kind = KINDS.find((name) => name === c.req.param('kind'))
    const id = parsePk(c.req.param('token') ?? '')
    if (!kind || id === null) return notFound(c)
    const audit = auditStatement(db(c), c.var.user, {
      action: 'token.revoke',
      objectType: 'token',
      objectId: `${kind}:${id}`,
      objectRepr: `${kind} token #${id}`,
      message: `Revoked a token of ${of} ${found.repr} (#${found.id}).`,
    })
    if (!(await revokeTokenById(tokenStore(c), found.owner, kind, id, [audit]))) return notFound(c)
    return seeOther(c, found.path, 'token_revoked')
  }
}

/** GET …/tokens/revoke-all/: the confirmation page. */
export function revokeAllPage(of: 'user' | 'application') {
  return async (c: ConsoleContext) => {
    const found = await holder(c, of)
    if (found instanceof Response) return found
    return renderPrivatePage(
      c,
      <ConsoleConfirmPage
        staff={c.var.user}
        title={`Revoke every token of ${found.repr}?`}
        action={`${found.path}tokens/revoke-all/`}
        cancel={found.path}
        button="Revoke all tokens"
      >
        <p>
          Every access token is deleted and every refresh token retired: clients must ask{' '}
          {of === 'user' ? 'the user' : 'their users'} to authorize again. Sessions and API keys are not touched.
        </p>
      </ConsoleConfirmPage>,
    )
  }
}

/** POST …/tokens/revoke-all/. */
export function revokeAll(of: 'user' | 'application') {
  return async (c: ConsoleContext) => {
    const found = await holder(c, of)
    if (found instanceof Response) return found
    await revokeOwnerTokens(tokenStore(c), found.owner, [
      auditStatement(db(c), c.var.user, {
        action: 'tokens.revoke_all',
        objectType: found.objectType,
        objectId: found.id,
        objectRepr: found.repr,
        message: 'Revoked every OAuth token.',
      }),
    ])
    return seeOther(c, found.path, 'tokens_revoked')
  }
}
