/**
 * @module
 * The login form (Django's LoginView template), and the page a logged-in visitor sees.
 */
import { Layout, SITE_PATHS } from './layout.tsx'

export function LoginPage(props: { next: string; username?: string; error?: string }) {
  return (
    <Layout title="Log in">
      {props.error ? (
        <p class="error" role="alert">
          {props.error}
        </p>
      ) : null}
      <form method="post" action="/accounts/login/">
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

export function LogoutForm() {
  return (
    <form method="post" action="/accounts/logout/" class="actions">
      <button type="submit" class="button secondary">
        Log out
      </button>
    </form>
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
