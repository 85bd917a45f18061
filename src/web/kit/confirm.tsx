/**
 * @module
 * The page in front of every destructive action (Django admin's "Are you sure?"): what will
 * happen, a POST button (danger style) and a way back. Nothing changes on GET.
 */
import type { Child } from 'hono/jsx'
import { FormActions } from './forms.tsx'
import { Layout } from './layout.tsx'

export function ConfirmPage(props: {
  title: string
  children: Child
  /** Where the form posts. */
  action: string
  button: string
  cancel: string
  /** The section's own navigation under the title (the console's), and its wide column. */
  nav?: Child
  wide?: boolean
}) {
  return (
    <Layout title={props.title} nav={props.nav} wide={props.wide}>
      {props.children}
      <form method="post" action={props.action}>
        <FormActions submit={props.button} cancel={props.cancel} variant="danger" />
      </form>
    </Layout>
  )
}
