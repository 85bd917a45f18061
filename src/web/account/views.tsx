/**
 * @module
 * The login form (Django's LoginView template), the page a logged-in visitor sees, the logout
 * question (Django's LogoutView takes a POST) and the page after, and the RP-Initiated Logout
 * confirmation (the request's fields posted back to /o/logout/ with `confirm`).
 */
import { Alert, LogoutForm } from '../kit/forms.tsx'
import { Layout } from '../kit/layout.tsx'
import { SITE_PATHS } from '../kit/paths.ts'

export function LoginPage(props: { next: string; username?: string; error?: string }) {
  return (
    <Layout title="Log in">
      <Alert text={props.error} />
      <form method="post" action={SITE_PATHS.login}>
        <input type="hidden" name="next" value={props.next} />
        <div class="field">
          <label for="username">Username</label>
          <input
            type="text"
            id="username"
            name="username"
            value={props.username ?? ''}
            autocomplete="username"
            autocapitalize="none"
            required
          />
        </div>
        <div class="field">
          <label for="password">Password</label>
          <input type="password" id="password" name="password" autocomplete="current-password" required />
        </div>
        <div class="actions">
          <button type="submit" class="button primary">
            Log in
          </button>
        </div>
      </form>
    </Layout>
  )
}

export function LoggedInPage(props: { username: string }) {
  return (
    <Layout title="Logged in">
      <p>You are logged in as {props.username}.</p>
      <p>
        <a href={SITE_PATHS.applications}>Your applications</a> ·{' '}
        <a href={SITE_PATHS.authorizedApps}>Apps you authorized</a>
      </p>
      <LogoutForm />
    </Layout>
  )
}

/** GET /accounts/logout/ with a session: logging out takes a POST (as Django 5), never a GET. */
export function LogoutQuestionPage(props: { username: string }) {
  return (
    <Layout title="Log out?">
      <p>You are logged in as {props.username}.</p>
      <LogoutForm />
    </Layout>
  )
}

export function LoggedOutPage() {
  return (
    <Layout title="Logged out">
      <p>You are logged out.</p>
      <div class="actions">
        <a class="button primary" href={SITE_PATHS.login}>
          Log in again
        </a>
        <a class="button secondary" href={SITE_PATHS.home}>
          Home
        </a>
      </div>
    </Layout>
  )
}

/** The value of the `confirm` field the RP-Initiated Logout confirmation posts. */
export const LOGOUT_CONFIRMED = 'yes'

export function ConfirmLogoutPage(props: { action: string; username: string; fields: Record<string, string> }) {
  return (
    <Layout title="Log out?">
      <p>You are logged in as {props.username}. Log out?</p>
      <form method="post" action={props.action}>
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
