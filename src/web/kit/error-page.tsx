/**
 * @module
 * The HTML error page: shown instead of redirecting when the redirect target cannot be
 * trusted (unknown client, bad redirect_uri), for refused form posts, and for every error of
 * the HTML dialect (./dialect.tsx). It links back into the site: the home page, and the
 * sign-in page, which shows who is signed in.
 */
import { Layout } from './layout.tsx'
import { SITE_PATHS } from './paths.ts'

export function ErrorPage(props: { title: string; error: string; description: string }) {
  return (
    <Layout title={props.title}>
      <p class="error">
        <strong>{props.error}</strong>: {props.description}
      </p>
      <div class="actions">
        <a class="button primary" href={SITE_PATHS.home}>
          Back to the home page
        </a>
        <a class="button secondary" href={SITE_PATHS.login}>
          Log in
        </a>
      </div>
    </Layout>
  )
}
