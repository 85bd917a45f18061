/**
 * @module
 * What every console page shares: the page with the console's navigation, the searchable
 * paginated list (users, applications). The pieces every page of the site shares (field errors,
 * confirmation pages, the show-once secret, the pagination links, times) are the kit's (src/web/kit/).
 */
import type { Child } from 'hono/jsx'
import { type Order, orderParam } from '../../db/ordering.ts'
import type { User } from '../../db/schema.ts'
import { SEARCH_MAX_LENGTH } from '../../db/search.ts'
import { ConfirmPage } from '../kit/confirm.tsx'
import { describedBy, type FieldErrorMap, FieldErrors, Notice } from '../kit/forms.tsx'
import { Layout } from '../kit/layout.tsx'
import { Pagination } from '../kit/pagination.tsx'
import { SITE_PATHS } from '../kit/paths.ts'
import type { Search } from './request.ts'

export const CONSOLE = SITE_PATHS.console
export const USERS = `${CONSOLE}users/`
export const APPLICATIONS = `${CONSOLE}applications/`
export const LOG = `${CONSOLE}log/`
export const TOKENS = `${CONSOLE}tokens/`
export const IDENTITY_PROVIDERS = `${CONSOLE}identity-providers/`
export const ID_JAG_RULES = `${CONSOLE}id-jag-rules/`

export const userPath = (user: Pick<User, 'id'> | number) => `${USERS}${typeof user === 'number' ? user : user.id}/`
export const applicationPath = (id: number) => `${APPLICATIONS}${id}/`
export const identityProviderPath = (id: number) => `${IDENTITY_PROVIDERS}${id}/`

/** The console's navigation, with who is using it. */
function ConsoleNav(props: { staff: User }) {
  return (
    <nav aria-label="Console" class="actions">
      <a href={CONSOLE}>Console</a>
      <a href={USERS}>Users</a>
      <a href={APPLICATIONS}>Applications</a>
      <a href={TOKENS}>Tokens</a>
      {props.staff.isSuperuser ? <a href={IDENTITY_PROVIDERS}>Identity providers</a> : null}
      <a href={LOG}>Audit log</a>
      <span class="muted">
        {props.staff.username}
        {props.staff.isSuperuser ? ' (superuser)' : ' (staff)'}
      </span>
    </nav>
  )
}

export function ConsolePage(props: { title: string; staff: User; children: Child }) {
  return (
    <Layout title={props.title} wide nav={<ConsoleNav staff={props.staff} />}>
      {props.children}
    </Layout>
  )
}

/** The kit's confirmation page (src/web/kit/confirm.tsx) inside the console. */
export function ConsoleConfirmPage(props: {
  staff: User
  title: string
  action: string
  cancel: string
  button: string
  children: Child
}) {
  return (
    <ConfirmPage
      title={props.title}
      action={props.action}
      cancel={props.cancel}
      button={props.button}
      nav={<ConsoleNav staff={props.staff} />}
      wide
    >
      {props.children}
    </ConfirmPage>
  )
}

/**
 * How a list is sorted, for its headers: the sortable columns' `?o=` names by label, the order
 * in force, and the list's other parameters (kept by the links).
 */
export type Sorting = { keys: Record<string, string>; order: Order<string>; params: Record<string, string> }

/**
 * A list's column headers; a sortable one is a link that sorts by it (ascending, or descending
 * when it is already ascending), marked with aria-sort when the list is sorted by it.
 */
export function ListHead(props: { path: string; columns: string[]; sorting?: Sorting }) {
  const { sorting } = props
  return (
    <thead>
      <tr>
        {props.columns.map((column) => {
          const key = sorting?.keys[column]
          if (!sorting || !key) return <th scope="col">{column}</th>
          const current = sorting.order.key === key
          const next = { key, descending: current && !sorting.order.descending }
          const href = `${props.path}?${new URLSearchParams({ ...sorting.params, o: orderParam(next) })}`
          return (
            <th scope="col" aria-sort={current ? (sorting.order.descending ? 'descending' : 'ascending') : undefined}>
              <a href={href} class="sort">
                {column}
                {current ? (sorting.order.descending ? ' ↓' : ' ↑') : ''}
              </a>
            </th>
          )
        })}
      </tr>
    </thead>
  )
}

/**
 * A searchable, sortable, paginated list (users, applications): the notice, the add button, the
 * search form, the count, a table with one header per column, and the pages. Rows come from the caller.
 */
export function SearchListPage(props: {
  title: string
  staff: User
  notice?: string
  path: string
  add: string
  searchLabel: string
  /** What was searched, and the page found (its problem, a too long query, shown under the box). */
  search: Search<unknown>
  /** Singular and plural, for "1 user" / "3 users". */
  noun: [string, string]
  columns: string[]
  /** The sortable columns' `?o=` names by label, and the order in force (`asked`: the `?o=` sent, kept by the links). */
  sort: { keys: Record<string, string>; order: Order<string>; asked: string }
  children: Child
}) {
  const { query, problem, page } = props.search
  const search: Record<string, string> = query ? { q: query } : {}
  const params = props.sort.asked ? { ...search, o: props.sort.asked } : search
  return (
    <ConsolePage title={props.title} staff={props.staff}>
      <Notice text={props.notice} />
      <p>
        <a class="button primary" href={`${props.path}add/`}>
          {props.add}
        </a>
      </p>
      <SearchForm path={props.path} query={query} label={props.searchLabel} problem={problem} />
      <p>
        {page.count} {page.count === 1 ? props.noun[0] : props.noun[1]}
      </p>
      <table class="list">
        <ListHead
          path={props.path}
          columns={props.columns}
          sorting={{ keys: props.sort.keys, order: props.sort.order, params: search }}
        />
        <tbody>{props.children}</tbody>
      </table>
      <Pagination path={props.path} params={params} page={page.page} pageCount={page.pageCount} />
    </ConsolePage>
  )
}

/** A search box as the Django admin's changelist has. */
function SearchForm(props: { path: string; query: string; label: string; problem?: string | null }) {
  const errors: FieldErrorMap = props.problem ? { q: [props.problem] } : {}
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
            {...describedBy('q', errors)}
          />
          <FieldErrors field="q" errors={errors.q} />
        </div>
        <button type="submit" class="button secondary">
          Search
        </button>
      </form>
    </search>
  )
}
