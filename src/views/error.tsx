/**
 * @module
 * The HTML error page: shown instead of redirecting when the redirect target cannot be
 * trusted (unknown client, bad redirect_uri), and for refused form posts.
 */
import { Layout } from './layout.tsx'

export function ErrorPage(props: { title: string; error: string; description: string }) {
  return (
    <Layout title={props.title}>
      <p class="error">
        <strong>{props.error}</strong>: {props.description}
      </p>
    </Layout>
  )
}
