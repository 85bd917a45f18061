/**
 * @module
 * OAuth tokens in the console: the live ones per user and per application, and every token of a
 * kind across users and applications, filtered and sorted (Django admin's AccessToken and
 * RefreshToken changelists): kind (with its public prefix), user, client, scopes, created,
 * expires — never a token's value or digest, which are not kept or not shown.
 */

import { TOKEN_PREFIXES } from '../../crypto/token-format.ts'
import type { Order } from '../../db/ordering.ts'
import type { Page } from '../../db/paging.ts'
import type { User } from '../../db/schema.ts'
import { nowSeconds } from '../../lib/time.ts'
import { type LiveToken, TOKEN_STATES, type TokenListing } from '../../tokens/lists.ts'
import { describedBy, type FieldErrorMap, FieldErrors, FormErrors, PostButton, TextField } from '../kit/forms.tsx'
import { Pagination } from '../kit/pagination.tsx'
import { Time } from '../kit/time.tsx'
import { applicationPath, ConsolePage, ListHead, TOKENS, userPath } from './shell.tsx'

/** A token as a list names it: its public prefix (or DOT's, for an imported one), kind and id. */
function TokenName(props: { token: LiveToken }) {
  const { token } = props
  return (
    <>
      {token.imported ? (
        // oauthlib's random string: no prefix, no check value (src/crypto/token-format.ts).
        <span>django-oauth-toolkit</span>
      ) : (
        <code>{TOKEN_PREFIXES[token.kind]}_…</code>
      )}{' '}
      {token.kind} #{token.id}
    </>
  )
}

/**
 * A token's cells: its name; its user, its client, or both (`who`: the client alone is headed
 * "Client", beside the user "Application"); scopes, created, expires.
 */
function TokenCells(props: { token: LiveToken; who: ('user' | 'application')[] }) {
  const { token, who } = props
  return (
    <>
      <td data-label="Token">
        <TokenName token={token} />
      </td>
      {who.includes('user') ? (
        <td data-label="User">
          {token.userId === null ? '(client itself)' : <a href={userPath(token.userId)}>{token.username}</a>}
        </td>
      ) : null}
      {who.includes('application') ? (
        <td data-label={who.length === 1 ? 'Client' : 'Application'}>
          <a href={applicationPath(token.applicationId)}>{token.applicationName}</a>
        </td>
      ) : null}
      <td data-label="Scopes">{token.scope}</td>
      <td data-label="Created">
        <Time value={token.createdAt} />
      </td>
      <td data-label="Expires">
        <Time value={token.expiresAt} />
      </td>
    </>
  )
}

/** At most this many tokens of each kind are listed (newest first); "revoke all" takes every one. */
export const TOKEN_LIST_LIMIT = 50

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
              <TokenCells token={token} who={[props.show]} />
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

/** A link to the token list filtered for a user (`user`: a username) or an application (`application`: a client_id). */
export function AllTokensLink(props: { user?: string; application?: string }) {
  const filter: Record<string, string> =
    props.user !== undefined ? { user: props.user } : { application: props.application ?? '' }
  return (
    <p>
      <a href={`${TOKENS}?${new URLSearchParams(filter)}`}>Every token, expired and revoked ones too</a>
    </p>
  )
}

/** The token list's filters as the form shows them: what was typed, kept when it is refused. */
export type TokenListInput = {
  kind: string
  user: string
  application: string
  state: string
  expires: string
  scope: string
}

const DAY = 86_400

/** The "expires within" filter's choices (`?expires=`), in seconds from now. */
export const EXPIRY_PERIODS: Record<string, number> = { day: DAY, week: 7 * DAY, month: 30 * DAY }

const EXPIRY_LABELS: [string, string][] = [
  ['', 'Any time'],
  ['day', 'Within a day'],
  ['week', 'Within 7 days'],
  ['month', 'Within 30 days'],
]

const STATE_LABELS: Record<(typeof TOKEN_STATES)[number], string> = {
  live: 'Live',
  expired: 'Expired',
  revoked: 'Revoked (refresh only)',
}

function Choice(props: {
  field: string
  label: string
  value: string
  options: [string, string][]
  errors: FieldErrorMap
}) {
  return (
    <div class={props.errors[props.field]?.length ? 'field invalid' : 'field'}>
      <label for={props.field}>{props.label}</label>
      <select id={props.field} name={props.field} {...describedBy(props.field, props.errors)}>
        {props.options.map(([value, label]) => (
          <option value={value} selected={value === props.value}>
            {label}
          </option>
        ))}
      </select>
      <FieldErrors field={props.field} errors={props.errors[props.field]} />
    </div>
  )
}

/** "3 live access tokens" (for filters that were accepted). */
function countLine(count: number, input: TokenListInput): string {
  const state = input.state ? `${input.state} ` : ''
  return `${count} ${state}${input.kind === 'refresh' ? 'refresh' : 'access'} token${count === 1 ? '' : 's'}`
}

/**
 * Every token of a kind, filtered by user, application, state, expiry and scope, sorted by id or expiry
 * (`sort.asked`: the `?o=` sent, kept by the links); `page` null when the filters were refused.
 */
export function TokenListPage(props: {
  staff: User
  input: TokenListInput
  errors: FieldErrorMap
  sort: { order: Order<string>; asked: string }
  page: Page<TokenListing> | null
}) {
  const { input, errors, page } = props
  const filters = Object.fromEntries(Object.entries(input).filter(([, value]) => value !== ''))
  const params = props.sort.asked ? { ...filters, o: props.sort.asked } : filters
  const now = nowSeconds()
  return (
    <ConsolePage title="Tokens" staff={props.staff}>
      <search>
        <form method="get" action={TOKENS} class="filters">
          <FormErrors errors={errors} />
          <Choice
            field="kind"
            label="Kind"
            value={input.kind}
            options={[
              ['access', 'Access tokens'],
              ['refresh', 'Refresh tokens'],
            ]}
            errors={errors}
          />
          <TextField field="user" label="User (username)" value={input.user} errors={errors} />
          <TextField field="application" label="Application (client_id)" value={input.application} errors={errors} />
          <Choice
            field="state"
            label="State"
            value={input.state}
            options={[['', 'Any'], ...TOKEN_STATES.map((state): [string, string] => [state, STATE_LABELS[state]])]}
            errors={errors}
          />
          <Choice field="expires" label="Expires" value={input.expires} options={EXPIRY_LABELS} errors={errors} />
          <TextField field="scope" label="Has scope" value={input.scope} errors={errors} />
          <div class="actions">
            <button type="submit" class="button secondary">
              Filter
            </button>
            <a href={TOKENS}>Clear the filters</a>
          </div>
        </form>
      </search>
      {page ? (
        <>
          <p>{countLine(page.count, input)}</p>
          {page.rows.length === 0 ? null : (
            <table class="list">
              <ListHead
                path={TOKENS}
                columns={['Token', 'User', 'Application', 'Scopes', 'Created', 'Expires', 'State']}
                sorting={{ keys: { Token: 'id', Expires: 'expires' }, order: props.sort.order, params: filters }}
              />
              <tbody>
                {page.rows.map((token) => (
                  <tr>
                    <TokenCells token={token} who={['user', 'application']} />
                    <td data-label="State">
                      {token.revokedAt !== null ? 'revoked' : token.expiresAt > now ? 'live' : 'expired'}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <Pagination path={TOKENS} params={params} page={page.page} pageCount={page.pageCount} />
        </>
      ) : null}
    </ConsolePage>
  )
}
