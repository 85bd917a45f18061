/**
 * @module
 * The confirmation page of a destructive action (Django admin's "Are you sure?"): what will
 * happen, a POST button (danger style) and a way back. Nothing changes on GET.
 */
import type { Child } from 'hono/jsx'
import { Layout } from './layout.tsx'

export function ConfirmPage(props: {
  title: string
  children: Child
  /** Where the form posts. */
  action: string
  confirmLabel: string
  cancelHref: string
}) {
  return (
    <Layout title={props.title}>
      {props.children}
      <form method="post" action={props.action}>
        <div class="actions">
          <button type="submit" class="button danger">
            {props.confirmLabel}
          </button>
          <a class="button secondary" href={props.cancelHref}>
            Cancel
          </a>
        </div>
      </form>
    </Layout>
  )
}
