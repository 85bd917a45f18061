/**
 * @module
 * The pieces every console page shares: the page shell with the console's navigation, field
 * errors, pagination links, confirmation pages and the show-once secret panel. Plain semantic
 * HTML with the site stylesheet's class names (`button` + `primary` / `secondary` / `danger`,
 * `actions`, `inline`, `field`, `choice`, `field-error`, `notice`, `warning`, `secret`,
 * `details`, `list` with `data-label` cells, `pagination`); no script.
 */
import type { Child } from 'hono/jsx'
import type { User } from '../db/schema.ts'
import { SEARCH_MAX_LENGTH } from '../db/search.ts'
import { Layout } from '../views/layout.tsx'

export function ConsolePage(props: { title: string; staff: User; children: Child }) {
  return (
    <Layout title={props.title} wide>
      <nav aria-label="Console" class="actions">
        <a href="/admin/">Console</a>
        <a href="/admin/users/">Users</a>
        <a href="/admin/applications/">Applications</a>
        <a href="/admin/log/">Audit log</a>
        <span class="muted">
          {props.staff.username}
          {props.staff.isSuperuser ? ' (superuser)' : ' (staff)'}
        </span>
      </nav>
      {props.children}
    </Layout>
  )
}

/** The messages of one field, under it; `id` names them for the field's aria-describedby. */
export function FieldErrors(props: { id: string; errors?: string[] }) {
  if (!props.errors || props.errors.length === 0) return null
  return (
    <p class="field-error" id={props.id}>
      {props.errors.map((message, index) => (
        <>
          {index > 0 ? <br /> : null}
          {message}
        </>
      ))}
    </p>
  )
}

/** A one-line outcome shown after an action (`?notice=` on the page it returns to). */
export function Notice(props: { text?: string }) {
  return props.text ? (
    <p class="notice" role="status">
      {props.text}
    </p>
  ) : null
}

/**
 * A searchable, paginated list (users, applications): the notice, the add button, the search
 * form, the count, a table with one header per column, and the pages. Rows come from the caller.
 */
export function SearchListPage(props: {
  title: string
  staff: User
  notice?: string
  path: string
  add: string
  searchLabel: string
  query: string
  /** Why the query was not searched (too long): shown under the search box. */
  queryProblem?: string | null
  count: number
  /** Singular and plural, for "1 user" / "3 users". */
  noun: [string, string]
  columns: string[]
  page: number
  pageCount: number
  children: Child
}) {
  return (
    <ConsolePage title={props.title} staff={props.staff}>
      <Notice text={props.notice} />
      <p>
        <a class="button primary" href={`${props.path}add/`}>
          {props.add}
        </a>
      </p>
      <SearchForm path={props.path} query={props.query} label={props.searchLabel} problem={props.queryProblem} />
      <p>
        {props.count} {props.count === 1 ? props.noun[0] : props.noun[1]}
      </p>
      <table class="list">
        <thead>
          <tr>
            {props.columns.map((column) => (
              <th scope="col">{column}</th>
            ))}
          </tr>
        </thead>
        <tbody>{props.children}</tbody>
      </table>
      <Pagination
        path={props.path}
        params={props.query ? { q: props.query } : {}}
        page={props.page}
        pageCount={props.pageCount}
      />
    </ConsolePage>
  )
}

/** "Page 2 of 5" with previous/next links that keep the other query parameters. */
export function Pagination(props: { path: string; params: Record<string, string>; page: number; pageCount: number }) {
  const href = (page: number) => {
    const query = new URLSearchParams({ ...props.params, page: String(page) })
    return `${props.path}?${query}`
  }
  return (
    <nav aria-label="Pages" class="pagination">
      {props.page > 1 ? <a href={href(props.page - 1)}>Previous</a> : null} Page {props.page} of {props.pageCount}{' '}
      {props.page < props.pageCount ? <a href={href(props.page + 1)}>Next</a> : null}
    </nav>
  )
}

/** A search box as the Django admin's changelist has. */
function SearchForm(props: { path: string; query: string; label: string; problem?: string | null }) {
  return (
    <search>
      <form method="get" action={props.path}>
        <div class="field">
          <label for="q">{props.label}</label>
          <input
            type="search"
            id="q"
            name="q"
            value={props.query}
            maxlength={SEARCH_MAX_LENGTH}
            aria-invalid={props.problem ? 'true' : undefined}
            aria-describedby={props.problem ? 'q-errors' : undefined}
          />
          <FieldErrors id="q-errors" errors={props.problem ? [props.problem] : undefined} />
        </div>
        <button type="submit" class="button secondary">
          Search
        </button>
      </form>
    </search>
  )
}

/** The page in front of every destructive action: what will happen, a danger button, a way out. */
export function ConfirmPage(props: {
  staff: User
  title: string
  action: string
  cancel: string
  button: string
  children: Child
}) {
  return (
    <ConsolePage title={props.title} staff={props.staff}>
      {props.children}
      <form method="post" action={props.action} class="actions">
        <button type="submit" class="button danger">
          {props.button}
        </button>{' '}
        <a class="button secondary" href={props.cancel}>
          Cancel
        </a>
      </form>
    </ConsolePage>
  )
}

/** A secret shown this once: it is stored only as a digest. */
export function SecretOnce(props: { label: string; value: string }) {
  return (
    <div class="notice" role="status">
      <p>
        <strong>{props.label}</strong> — copy it now; it will not be shown again.
      </p>
      <code class="secret">{props.value}</code>
    </div>
  )
}

/** A button that POSTs to `action` (a state change from a list or detail page). */
export function PostButton(props: {
  action: string
  label: string
  variant: 'primary' | 'secondary' | 'danger'
  small?: boolean
}) {
  return (
    <form method="post" action={props.action} class="inline">
      <button type="submit" class={`button ${props.variant}${props.small ? ' small' : ''}`}>
        {props.label}
      </button>
    </form>
  )
}

export function formatTime(date: Date | number): string {
  const value = typeof date === 'number' ? new Date(date * 1000) : date
  return `${value.toISOString().slice(0, 16).replace('T', ' ')} UTC`
}
