/**
 * @module
 * The landing page at `/`: what the site is and where to go — log in, your applications, the
 * apps you authorized, the API documentation, the operator console.
 */
import { Layout, type Viewer } from '../kit/layout.tsx'
import { SITE_PATHS } from '../kit/paths.ts'

export function HomePage(props: { siteName: string; viewer: Viewer | null }) {
  const { viewer } = props
  return (
    <Layout title={props.siteName} wide>
      <p>An OAuth 2.0 and OpenID Connect authorization server, with an API for the accounts it serves.</p>
      {viewer ? (
        <p class="notice">You are logged in as {viewer.username}.</p>
      ) : (
        <div class="actions">
          <a class="button primary" href={SITE_PATHS.login}>
            Log in
          </a>
        </div>
      )}
      <div class="cards">
        <section class="card">
          <h2>
            <a href={SITE_PATHS.applications}>My applications</a>
          </h2>
          <p class="muted">Register OAuth clients, see their settings, rotate a secret, delete them.</p>
        </section>
        <section class="card">
          <h2>
            <a href={SITE_PATHS.authorizedApps}>Authorized apps</a>
          </h2>
          <p class="muted">The applications you let into your account, with what they may do; revoke any.</p>
        </section>
        <section class="card">
          <h2>
            <a href={SITE_PATHS.docs}>API documentation</a>
          </h2>
          <p class="muted">Every endpoint, with a console to try them.</p>
        </section>
        <section class="card">
          <h2>
            <a href={SITE_PATHS.console}>Operator console</a>
          </h2>
          <p class="muted">For staff: users, applications, tokens and keys.</p>
        </section>
      </div>
    </Layout>
  )
}
