/**
 * @module
 * The consent page (DOT's authorize.html): the application, each requested scope with its
 * description, where the browser goes next (the redirect URI's host, prominently: a look-alike
 * client name cannot hide it), Approve (primary) / Deny (secondary). The request travels in
 * hidden fields and is validated again.
 */
import { Layout } from './layout.tsx'
import { LogoutForm } from './login.tsx'

export function ConsentPage(props: {
  applicationName: string
  username: string
  redirectUri: string
  scopes: { name: string; description: string }[]
  fields: Record<string, string>
}) {
  const target = new URL(props.redirectUri)
  return (
    <Layout title={`Authorize ${props.applicationName}?`}>
      <p>
        <strong>{props.applicationName}</strong> asks for access to your account ({props.username}):
      </p>
      <ul class="scopes">
        {props.scopes.map((scope) => (
          <li>
            <strong>{scope.name}</strong>: {scope.description}
          </li>
        ))}
      </ul>
      <p>Whatever you choose, you will be sent to:</p>
      <span class="host" title={props.redirectUri}>
        {target.host}
      </span>
      <form method="post" action="/o/authorize/">
        {Object.entries(props.fields).map(([name, value]) => (
          <input type="hidden" name={name} value={value} />
        ))}
        <div class="actions">
          <button type="submit" name="allow" value="Approve" class="button primary">
            Approve
          </button>
          <button type="submit" name="allow" value="Deny" class="button secondary">
            Deny
          </button>
        </div>
      </form>
      <p class="muted">Not {props.username}?</p>
      <LogoutForm />
    </Layout>
  )
}
