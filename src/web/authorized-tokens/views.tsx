/**
 * @module
 * DOT's authorized-token pages (authorized-tokens.html, authorized-token-delete.html): the
 * applications the user let into their account, with the scopes each holds, and revoking one.
 * Never the token itself.
 */
import type { Page } from '../../db/paging.ts'
import { parseScope } from '../../lib/scope.ts'
import type { AuthorizedToken } from '../../tokens/lists.ts'
import { Layout } from '../kit/layout.tsx'
import { Pagination } from '../kit/pagination.tsx'
import { SITE_PATHS } from '../kit/paths.ts'
import { Time } from '../kit/time.tsx'

export const AUTHORIZED_TOKENS_PATH = SITE_PATHS.authorizedApps

function Scopes(props: { scope: string; describe: (name: string) => string }) {
  return (
    <>
      {parseScope(props.scope).map((name) => (
        <span class="tag" title={props.describe(name)}>
          {name}
        </span>
      ))}
    </>
  )
}

export function AuthorizedTokensPage(props: { page: Page<AuthorizedToken>; describeScope: (name: string) => string }) {
  const { page } = props
  return (
    <Layout title="Authorized apps" wide>
      <p class="muted">
        Applications you allowed into your account. Revoking one ends its access now; it must ask you again.
      </p>
      {page.rows.length === 0 ? (
        <p class="muted">You have not authorized any application.</p>
      ) : (
        <table class="list">
          <thead>
            <tr>
              <th>Application</th>
              <th>Scopes</th>
              <th>Expires</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {page.rows.map((token) => (
              <tr>
                <td data-label="Application">{token.applicationName}</td>
                <td data-label="Scopes">
                  <Scopes scope={token.scope} describe={props.describeScope} />
                </td>
                <td data-label="Expires">
                  <Time value={token.expiresAt} />
                </td>
                <td>
                  <a class="button danger small" href={`${AUTHORIZED_TOKENS_PATH}${token.id}/delete/`}>
                    Revoke
                  </a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pagination path={AUTHORIZED_TOKENS_PATH} page={page.page} pageCount={page.pageCount} />
    </Layout>
  )
}

/** What the revoke confirmation says about the token. */
export function AuthorizedTokenSummary(props: { token: AuthorizedToken; describeScope: (name: string) => string }) {
  return (
    <>
      <p>
        <strong>{props.token.applicationName}</strong> will lose this access to your account:
      </p>
      <ul class="scopes">
        {parseScope(props.token.scope).map((name) => (
          <li>
            <strong>{name}</strong>: {props.describeScope(name)}
          </li>
        ))}
      </ul>
    </>
  )
}
