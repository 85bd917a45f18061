/**
 * @module
 * The login form (Django's LoginView template), and the page a logged-in visitor sees.
 */
import { Layout } from './layout.tsx'

export function LoginPage(props: { next: string; username?: string; error?: string }) {
  return (
    <Layout title="Log in">
      {props.error ? <p class="error">{props.error}</p> : null}
      <form method="post" action="/accounts/login/">
        <input type="hidden" name="next" value={props.next} />
        <label for="username">Username</label>
        <input
          type="text"
          id="username"
          name="username"
          value={props.username ?? ''}
          autocomplete="username"
          required
        />
        <label for="password">Password</label>
        <input type="password" id="password" name="password" autocomplete="current-password" required />
        <button type="submit">Log in</button>
      </form>
    </Layout>
  )
}

export function LoggedInPage(props: { username: string }) {
  return (
    <Layout title="Logged in">
      <p>You are logged in as {props.username}.</p>
      <LogoutForm />
    </Layout>
  )
}

export function LogoutForm() {
  return (
    <form method="post" action="/accounts/logout/">
      <button type="submit">Log out</button>
    </form>
  )
}

export function LoggedOutPage() {
  return (
    <Layout title="Logged out">
      <p>
        You are logged out. <a href="/accounts/login/">Log in again</a>
      </p>
    </Layout>
  )
}
