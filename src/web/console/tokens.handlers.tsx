/**
 * @module
 * Live OAuth tokens in the console, per user and per application: kind (with its public
 * prefix), scopes, client, created, expires — never a token's value or digest, which are not
 * kept or not shown. Revoke one (an access token with its refresh token; a refresh token with
 * its rotation family) or all of them (confirmation page first). Every revocation is audited.
 */

import type { Context } from 'hono'
import { auditStatement } from '../accounts/audit.ts'
import { TOKEN_PREFIXES } from '../crypto/token-format.ts'
import type { Application } from '../db/schema.ts'
import { renderPage } from '../http/html.tsx'
import { NO_STORE_HEADERS } from '../http/semantics.ts'
import { parsePk } from '../lib/forms.ts'
import { db, tokenStore } from '../lib/request-context.ts'
import { applicationRefusalFor } from '../oauth/application-changes.ts'
import { type LiveToken, revokeOwnerTokens, revokeTokenById, type TokenOwner } from '../tokens/store.ts'
import type { StaffEnv } from '../types.ts'
import { forbidden, notFound, pathApplication, redirectAfterPost } from './request.tsx'
import { managedUser, userPath } from './user-access.ts'
import { ConfirmPage, formatTime, PostButton } from './views.tsx'

/** At most this many tokens of each kind are listed (newest first); "revoke all" takes every one. */
export const TOKEN_LIST_LIMIT = 50

const KINDS = ['access', 'refresh'] as const

/** The live tokens; `base` is the user's or application's console path for the revoke buttons (null: none). */
export function TokenTable(props: { tokens: LiveToken[]; base: string | null; show: 'application' | 'user' }) {
  if (props.tokens.length === 0) return <p>No live tokens.</p>
  return (
    <>
      <table class="list">
        <thead>
          <tr>
            <th scope="col">Token</th>
            <th scope="col">{props.show === 'application' ? 'Client' : 'User'}</th>
            <th scope="col">Scopes</th>
            <th scope="col">Created</th>
            <th scope="col">Expires</th>
            {props.base ? <th scope="col">Action</th> : null}
          </tr>
        </thead>
        <tbody>
          {props.tokens.map((token) => (
            <tr>
              <td data-label="Token">
                {token.imported ? (
                  // oauthlib's random string: no prefix, no check value (src/crypto/token-format.ts).
                  <span>django-oauth-toolkit</span>
                ) : (
                  <code>{TOKEN_PREFIXES[token.kind]}_…</code>
                )}{' '}
                {token.kind} #{token.id}
              </td>
              <td data-label={props.show === 'application' ? 'Client' : 'User'}>
                {props.show === 'application' ? (
                  <a href={`/admin/applications/${token.applicationId}/`}>{token.applicationName}</a>
                ) : token.userId === null ? (
                  '(client itself)'
                ) : (
                  <a href={`/admin/users/${token.userId}/`}>{token.username}</a>
                )}
              </td>
              <td data-label="Scopes">{token.scope}</td>
              <td data-label="Created">{formatTime(token.createdAt)}</td>
              <td data-label="Expires">{formatTime(token.expiresAt)}</td>
              {props.base ? (
                <td data-label="Action">
                  <PostButton
                    action={`${props.base}tokens/${token.kind}/${token.id}/revoke/`}
                    label="Revoke"
                    variant="danger"
                    small
                  />
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
      {props.base ? (
        <p>
          <a class="button danger" href={`${props.base}tokens/revoke-all/`}>
            Revoke all tokens
          </a>
        </p>
      ) : null}
    </>
  )
}

/**
 * Whose tokens the path names: the user (whom the staff user must be able to manage) or the
 * application (whose tokens they may revoke, by its owner: src/accounts/rights.ts).
 */
type Holder = { owner: TokenOwner; path: string; repr: string; objectType: 'user' | 'application'; id: number }

async function holder(c: Context<StaffEnv>, of: 'user' | 'application'): Promise<Holder | Response> {
  if (of === 'user') {
    const user = await managedUser(c)
    if (user instanceof Response) return user
    return { owner: { userId: user.id }, path: userPath(user), repr: user.username, objectType: 'user', id: user.id }
  }
  const application: Application | undefined = await pathApplication(c)
  if (!application) return notFound(c)
  const refused = await applicationRefusalFor(db(c), c.var.staff, application, 'revoke-tokens')
  if (refused) return forbidden(c, refused)
  return {
    owner: { applicationId: application.id },
    path: `/admin/applications/${application.id}/`,
    repr: application.name,
    objectType: 'application',
    id: application.id,
  }
}

/** POST …/tokens/:kind/:token/revoke/ for a user's or an application's token. */
export function revokeOne(of: 'user' | 'application') {
  return async (c: Context<StaffEnv>) => {
    const found = await holder(c, of)
    if (found instanceof Response) return found
    const kind = KINDS.find((name) => name === c.req.param('kind'))
    const id = parsePk(c.req.param('token') ?? '')
    if (!kind || id === null) return notFound(c)
    const audit = auditStatement(db(c), c.var.staff, {
      action: 'token.revoke',
      objectType: 'token',
      objectId: `${kind}:${id}`,
      objectRepr: `${kind} token #${id}`,
      message: `Revoked a token of ${of} ${found.repr} (#${found.id}).`,
    })
    if (!(await revokeTokenById(tokenStore(c), found.owner, kind, id, [audit]))) return notFound(c)
    return redirectAfterPost(c, found.path, 'token_revoked')
  }
}

/** GET …/tokens/revoke-all/: the confirmation page. */
export function revokeAllPage(of: 'user' | 'application') {
  return async (c: Context<StaffEnv>) => {
    const found = await holder(c, of)
    if (found instanceof Response) return found
    return renderPage(
      c,
      <ConfirmPage
        staff={c.var.staff}
        title={`Revoke every token of ${found.repr}?`}
        action={`${found.path}tokens/revoke-all/`}
        cancel={found.path}
        button="Revoke all tokens"
      >
        <p>
          Every access token is deleted and every refresh token retired: clients must ask{' '}
          {of === 'user' ? 'the user' : 'their users'} to authorize again. Sessions and API keys are not touched.
        </p>
      </ConfirmPage>,
      200,
      NO_STORE_HEADERS,
    )
  }
}

/** POST …/tokens/revoke-all/. */
export function revokeAll(of: 'user' | 'application') {
  return async (c: Context<StaffEnv>) => {
    const found = await holder(c, of)
    if (found instanceof Response) return found
    await revokeOwnerTokens(tokenStore(c), found.owner, [
      auditStatement(db(c), c.var.staff, {
        action: 'tokens.revoke_all',
        objectType: found.objectType,
        objectId: found.id,
        objectRepr: found.repr,
        message: 'Revoked every OAuth token.',
      }),
    ])
    return redirectAfterPost(c, found.path, 'tokens_revoked')
  }
}
