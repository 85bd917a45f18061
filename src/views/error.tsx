/**
 * @module
 * The HTML error page: shown instead of redirecting when the redirect target cannot be
 * trusted (unknown client, bad redirect_uri), for refused form posts, and for every error of
 * the HTML dialect (src/http/html.tsx). It links back into the site: the sign-in page, which
 * shows who is signed in.
 */
import { Layout } from './layout.tsx'

const WAY_BACK = '/accounts/login/'

export function ErrorPage(props: { title: string; error: string; description: string }) {
  return (
    <Layout title={props.title}>
      <p class="error">
        <strong>{props.error}</strong>: {props.description}
      </p>
      <p>
        <a href={WAY_BACK}>Back to the site</a>
      </p>
    </Layout>
  )
}
