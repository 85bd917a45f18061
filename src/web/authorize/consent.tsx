/**
 * @module
 * The consent page (DOT's authorize.html): the application (for a client that describes itself
 * in a metadata document, its document's host first), each requested scope with its description,
 * the resources (RFC 8707) the access is for when the client named them, where the browser goes next (the redirect URI's host, prominently: a look-alike
 * client name cannot hide it), Approve (primary) / Deny (secondary). The request travels in
 * hidden fields and is validated again.
 */
import { AccessRequested, type ScopeDescription } from '../kit/access.tsx'
import { DecisionButtons, LogoutForm } from '../kit/forms.tsx'
import { Layout } from '../kit/layout.tsx'

export function ConsentPage(props: {
  applicationName: string
  /**
   * The host of the client's metadata document URL (its client_id), for a client that described
   * itself: the one thing about it that was verified, so it is the headline; its name is only its claim.
   */
  clientHost: string | null
  username: string
  redirectUri: string
  scopes: ScopeDescription[]
  /** RFC 8707 resources the access is for; empty: the default (not shown). */
  resources: string[]
  /** Where the decision is posted (the authorization endpoint), with `fields`. */
  action: string
  fields: [name: string, value: string][]
}) {
  const target = new URL(props.redirectUri)
  return (
    <Layout title={`Authorize ${props.clientHost ?? props.applicationName}?`}>
      {props.clientHost === null ? (
        <p>
          <strong>{props.applicationName}</strong> asks for access to your account ({props.username}):
        </p>
      ) : (
        <>
          <span class="host" title={props.applicationName}>
            {props.clientHost}
          </span>
          <p>
            wants access to your account ({props.username}). It calls itself <strong>{props.applicationName}</strong>{' '}
            (only its address above is verified).
          </p>
        </>
      )}
      <AccessRequested scopes={props.scopes} resources={props.resources} />
      <p>Whatever you choose, you will be sent to:</p>
      <span class="host" title={props.redirectUri}>
        {target.host}
      </span>
      <form method="post" action={props.action}>
        {props.fields.map(([name, value]) => (
          <input type="hidden" name={name} value={value} />
        ))}
        <DecisionButtons name="allow" approve="Approve" deny="Deny" />
      </form>
      <p class="muted">Not {props.username}?</p>
      <LogoutForm />
    </Layout>
  )
}
