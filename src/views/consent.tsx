/**
 * @module
 * The consent page (DOT's authorize.html): the application, each requested scope with its
 * description, Approve / Deny. The request travels in hidden fields and is validated again.
 */
import { Layout } from './layout.tsx'
import { LogoutForm } from './login.tsx'

export function ConsentPage(props: {
  applicationName: string
  username: string
  scopes: { name: string; description: string }[]
  fields: Record<string, string>
}) {
  return (
    <Layout title={`Authorize ${props.applicationName}?`}>
      <p>
        <strong>{props.applicationName}</strong> asks for access to your account ({props.username}):
      </p>
      <ul>
        {props.scopes.map((scope) => (
          <li>
            <strong>{scope.name}</strong>: {scope.description}
          </li>
        ))}
      </ul>
      <form method="post" action="/o/authorize/">
        {Object.entries(props.fields).map(([name, value]) => (
          <input type="hidden" name={name} value={value} />
        ))}
        <button type="submit" name="allow" value="Approve">
          Approve
        </button>
        <button type="submit" name="allow" value="Deny">
          Deny
        </button>
      </form>
      <p>Not {props.username}?</p>
      <LogoutForm />
    </Layout>
  )
}
