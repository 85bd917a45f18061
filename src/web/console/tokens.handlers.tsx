/**
 * @module
 * OAuth tokens in the console: every token of a kind, filtered and sorted (read only: a token is
 * revoked from its user's or application's page, where the ownership rules are applied); and
 * revoking live tokens per user and per application: one (an access token with its refresh
 * token; a refresh token with its rotation family) or all of them (confirmation page first).
 * Each revocation is written with its audit row in one D1 batch.
 */
import type { Context } from 'hono'
import { auditStatement } from '../../accounts/audit.ts'
import { findUserByUsername } from '../../accounts/users.ts'
import { parsePk } from '../../lib/forms.ts'
import { db, tokenStore } from '../../lib/request-context.ts'
import { SCOPE_TOKEN } from '../../lib/scope.ts'
import { findApplicationByClientId } from '../../oauth/applications.ts'
import { TOKEN_STATES, type TokenFilters, type TokenOwner, tokenListPage, tokenOrders } from '../../tokens/lists.ts'
import { revokeOwnerTokens, revokeTokenById } from '../../tokens/revocation.ts'
import type { FieldErrorMap } from '../kit/forms.tsx'
import { notFound, renderPrivatePage, seeOther } from '../kit/page.tsx'
import { requestedPage } from '../kit/pagination.tsx'
import type { PageEnv } from '../kit/session.ts'
import { guardedApplication, managedUser, PAGE_SIZE, queryOrder, queryText } from './request.ts'
import { applicationPath, ConsoleConfirmPage, userPath } from './shell.tsx'
import { EXPIRY_PERIODS, type TokenListInput, TokenListPage } from './tokens.views.tsx'

type ConsoleContext = Context<PageEnv>

const KINDS = ['access', 'refresh'] as const

/** The filters the query asks for, resolved (a username to its user, a client_id to its application); errors by field. */
async function readTokenFilters(
  c: ConsoleContext,
  input: TokenListInput,
): Promise<{ filters: TokenFilters; errors: FieldErrorMap }> {
  const errors: FieldErrorMap = {}
  const kind = KINDS.find((name) => name === (input.kind || 'access'))
  if (!kind) errors.kind = ['Choose access or refresh tokens.']
  const filters: TokenFilters = { kind: kind ?? 'access' }
  const [user, application] = await Promise.all([
    input.user ? findUserByUsername(db(c), input.user) : undefined,
    input.application ? findApplicationByClientId(db(c), input.application) : undefined,
  ])
  if (input.user && !user) errors.user = ['No user has this username.']
  filters.userId = user?.id
  if (input.application && !application) errors.application = ['No application has this client_id.']
  filters.applicationId = application?.id
  if (input.state) {
    const state = TOKEN_STATES.find((name) => name === input.state)
    if (!state) errors.state = ['Choose live, expired or revoked.']
    else if (state === 'revoked' && filters.kind === 'access') {
      errors.state = ['Access tokens are deleted when revoked: only refresh tokens are kept as revoked.']
    }
    filters.state = state
  }
  if (input.expires) {
    if (Object.hasOwn(EXPIRY_PERIODS, input.expires)) filters.expiresWithin = EXPIRY_PERIODS[input.expires]
    else errors.expires = ['Choose a day, 7 days or 30 days.']
  }
  if (input.scope) {
    if (!SCOPE_TOKEN.test(input.scope)) errors.scope = ['Enter one scope: no spaces, quotes or backslashes.']
    filters.scope = input.scope
  }
  return { filters, errors }
}

/** GET /admin/tokens/: every token of a kind, filtered and sorted, a page at a time. */
export async function tokenList(c: ConsoleContext) {
  const input: TokenListInput = {
    kind: queryText(c, 'kind'),
    user: queryText(c, 'user'),
    application: queryText(c, 'application'),
    state: queryText(c, 'state'),
    expires: queryText(c, 'expires'),
    scope: queryText(c, 'scope'),
  }
  const { filters, errors } = await readTokenFilters(c, input)
  const sort = await queryOrder(c, tokenOrders(filters.kind))
  if (sort instanceof Response) return sort
  const staff = c.var.user
  if (Object.keys(errors).length > 0) {
    return renderPrivatePage(
      c,
      <TokenListPage staff={staff} input={input} errors={errors} sort={sort} page={null} />,
      400,
    )
  }
  // Every token database at once, merged into one page (src/tokens/lists.ts).
  const request = requestedPage(c)
  const page = request && (await tokenListPage(tokenStore(c), filters, sort.order, request, PAGE_SIZE))
  if (!page) return notFound(c)
  return renderPrivatePage(c, <TokenListPage staff={staff} input={input} errors={{}} sort={sort} page={page} />)
}

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
