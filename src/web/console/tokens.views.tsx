/**
 * @module
 * Live OAuth tokens in the console, per user and per application: kind (with its public
 * prefix), scopes, client, created, expires — never a token's value or digest, which are not
 * kept or not shown.
 */
import { TOKEN_PREFIXES } from '../../crypto/token-format.ts'
import type { LiveToken } from '../../tokens/lists.ts'
import { PostButton } from '../kit/forms.tsx'
import { applicationPath, formatTime, userPath } from './shell.tsx'

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
                  <a href={applicationPath(token.applicationId)}>{token.applicationName}</a>
                ) : token.userId === null ? (
                  '(client itself)'
                ) : (
                  <a href={userPath(token.userId)}>{token.username}</a>
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
