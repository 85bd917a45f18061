/**
 * @module
 * The RP-Initiated Logout confirmation page: the request's fields posted back to /o/logout/
 * with `confirm`, when the logout request does not prove it is for the logged-in user.
 */
import { Layout } from './layout.tsx'

/** The value of the `confirm` field the form posts. */
export const LOGOUT_CONFIRMED = 'yes'

export function ConfirmLogoutPage(props: { username: string; fields: Record<string, string> }) {
  return (
    <Layout title="Log out?">
      <p>You are logged in as {props.username}. Log out?</p>
      <form method="post" action="/o/logout/">
        {Object.entries(props.fields).map(([name, value]) => (
          <input type="hidden" name={name} value={value} />
        ))}
        <div class="actions">
          <button type="submit" name="confirm" value={LOGOUT_CONFIRMED} class="button primary">
            Log out
          </button>
        </div>
      </form>
    </Layout>
  )
}
