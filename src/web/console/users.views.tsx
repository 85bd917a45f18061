/**
 * @module
 * The console's user pages (Django admin's UserAdmin): the list, a user's page with their
 * applications, live tokens and API keys, the add, change and password forms, and the notices
 * after each action.
 */
import { MAY_NOT_MANAGE } from '../../accounts/rights.ts'
import type { UserDetails } from '../../accounts/user-lifecycle.ts'
import type { UserOrderKey } from '../../accounts/user-list.ts'
import type { Order } from '../../db/ordering.ts'
import type { Application, User } from '../../db/schema.ts'
import type { ApiKeyListing } from '../../tokens/api-keys.ts'
import type { LiveToken } from '../../tokens/lists.ts'
import {
  describedBy,
  type FieldErrorMap,
  FieldErrors,
  FormActions,
  FormErrors,
  Notice,
  PostButton,
  TextField,
} from '../kit/forms.tsx'
import { Time } from '../kit/time.tsx'
import { ApiKeyPanel } from './api-keys.views.tsx'
import type { Search } from './request.ts'
import { applicationPath, ConsolePage, LOG, SearchListPage, USERS, userPath } from './shell.tsx'
import { AllTokensLink, TokenTable } from './tokens.views.tsx'

export const USER_NOTICES: Record<string, string> = {
  created: 'The user was created.',
  changed: 'The user was changed.',
  unchanged: 'No fields changed.',
  password: 'The password was changed; the user’s sessions ended and their tokens and API key were revoked.',
  deactivated: 'The user was deactivated: their sessions ended and their tokens and API key stopped working.',
  reactivated: 'The user was reactivated: their unexpired tokens and API key work again.',
  logged_out: 'Every session of the user ended and every token and API key of theirs was revoked.',
  deleted: 'The user was deleted with their applications, tokens and API key.',
  token_revoked: 'The token was revoked.',
  tokens_revoked: 'Every OAuth token of the user was revoked.',
  key_revoked: 'The API key was revoked.',
}

export function UserListPage(props: {
  staff: User
  notice?: string
  search: Search<User>
  sort: { order: Order<UserOrderKey>; asked: string }
}) {
  return (
    <SearchListPage
      title="Users"
      staff={props.staff}
      notice={props.notice}
      path={USERS}
      add="Add user"
      searchLabel="Search by username or email"
      search={props.search}
      noun={['user', 'users']}
      columns={['Username', 'Email', 'Active', 'Staff', 'Joined']}
      sort={{ keys: { Username: 'username', Email: 'email', Joined: 'joined' }, ...props.sort }}
    >
      {props.search.page.rows.map((user) => (
        <tr>
          <td data-label="Username">
            <a href={userPath(user)}>{user.username}</a>
          </td>
          <td data-label="Email" class="long">
            {user.email}
          </td>
          <td data-label="Active">{user.isActive ? 'yes' : 'no'}</td>
          <td data-label="Staff">{user.isSuperuser ? 'superuser' : user.isStaff ? 'staff' : ''}</td>
          <td data-label="Joined">
            <Time value={user.dateJoined} />
          </td>
        </tr>
      ))}
    </SearchListPage>
  )
}

export function UserDetailPage(props: {
  staff: User
  user: User
  notice?: string
  /** Whether the staff user may change this user (src/accounts/rights.ts). */
  manageable: boolean
  applications: Application[]
  tokens: LiveToken[]
  apiKeys: ApiKeyListing[]
}) {
  const { user, manageable } = props
  const path = userPath(user)
  const self = user.id === props.staff.id
  return (
    <ConsolePage title={`User ${user.username}`} staff={props.staff}>
      <Notice text={props.notice} />
      <dl class="details">
        <dt>Username</dt>
        <dd>{user.username}</dd>
        <dt>Email</dt>
        <dd>{user.email || '—'}</dd>
        <dt>Name</dt>
        <dd>{`${user.firstName} ${user.lastName}`.trim() || '—'}</dd>
        <dt>Status</dt>
        <dd>
          {user.isActive ? 'active' : 'inactive'}
          {user.isStaff ? ', staff' : ''}
          {user.isSuperuser ? ', superuser' : ''}
        </dd>
        <dt>Joined</dt>
        <dd>
          <Time value={user.dateJoined} />
        </dd>
        <dt>Last login</dt>
        <dd>{user.lastLogin ? <Time value={user.lastLogin} /> : 'never'}</dd>
      </dl>
      {manageable ? (
        <section aria-label="Actions" class="actions">
          <a class="button primary" href={`${path}change/`}>
            Change
          </a>{' '}
          <a class="button secondary" href={`${path}password/`}>
            Change password
          </a>{' '}
          {self ? null : user.isActive ? (
            <PostButton action={`${path}deactivate/`} label="Deactivate" variant="danger" />
          ) : (
            <PostButton action={`${path}reactivate/`} label="Reactivate" variant="primary" />
          )}{' '}
          <a class="button danger" href={`${path}logout-everywhere/`}>
            Log out everywhere
          </a>{' '}
          {self ? null : (
            <a class="button danger" href={`${path}delete/`}>
              Delete
            </a>
          )}
        </section>
      ) : (
        <p class="notice">{MAY_NOT_MANAGE}</p>
      )}
      <p>
        <a href={`${LOG}?${new URLSearchParams({ object_type: 'user', object_id: String(user.id) })}`}>History</a>
      </p>
      <h2>Applications</h2>
      {props.applications.length === 0 ? (
        <p>None.</p>
      ) : (
        <ul>
          {props.applications.map((application) => (
            <li>
              <a href={applicationPath(application.id)}>{application.name}</a> ({application.clientType})
            </li>
          ))}
        </ul>
      )}
      <h2>Live tokens</h2>
      <TokenTable tokens={props.tokens} base={manageable ? path : null} show="application" />
      <AllTokensLink user={user.username} />
      <h2>API key</h2>
      <ApiKeyPanel base={manageable ? path : null} apiKeys={props.apiKeys} />
    </ConsolePage>
  )
}

export type UserInput = { username: string; email: string; isStaff: boolean; isSuperuser: boolean }

export const EMPTY_USER: UserInput = { username: '', email: '', isStaff: false, isSuperuser: false }

export function AddUserPage(props: { staff: User; input: UserInput; errors: FieldErrorMap }) {
  const { input, errors } = props
  return (
    <ConsolePage title="Add user" staff={props.staff}>
      <form method="post" action={`${USERS}add/`}>
        <FormErrors errors={errors} />
        <TextField field="username" label="Username" value={input.username} required errors={errors} />
        <TextField field="email" label="Email" type="email" value={input.email} errors={errors} />
        <PasswordFields errors={errors} />
        {props.staff.isSuperuser ? (
          <fieldset class="field">
            <legend class="label">Rights</legend>
            <label class="choice">
              <input type="checkbox" name="is_staff" checked={input.isStaff} /> Staff: may use this console
            </label>
            <label class="choice">
              <input type="checkbox" name="is_superuser" checked={input.isSuperuser} /> Superuser: may manage staff
              accounts too
            </label>
          </fieldset>
        ) : null}
        <FormActions submit="Create user" cancel={USERS} />
      </form>
    </ConsolePage>
  )
}

/** Django's labels for the fields of the change form (its audit message names them so). */
export const DETAIL_LABELS: Record<keyof UserDetails, string> = {
  email: 'email address',
  firstName: 'first name',
  lastName: 'last name',
  isActive: 'active',
  isStaff: 'staff status',
  isSuperuser: 'superuser status',
}

/** A tick box with its help and errors. */
function Flag(props: { field: string; label: string; help: string; checked: boolean; errors: FieldErrorMap }) {
  return (
    <>
      <label class="choice">
        <input type="checkbox" name={props.field} checked={props.checked} {...describedBy(props.field, props.errors)} />{' '}
        {props.label}: {props.help}
      </label>
      <FieldErrors field={props.field} errors={props.errors[props.field]} />
    </>
  )
}

/**
 * Django admin's user change form: email, names and the flags; the staff and superuser flags
 * only for a superuser (src/accounts/rights.ts).
 */
export function ChangeUserPage(props: { staff: User; user: User; input: UserDetails; errors: FieldErrorMap }) {
  const { input, errors } = props
  const path = userPath(props.user)
  return (
    <ConsolePage title={`Change user ${props.user.username}`} staff={props.staff}>
      <form method="post" action={`${path}change/`}>
        <FormErrors errors={errors} />
        <TextField field="email" label="Email address" type="email" value={input.email} errors={errors} />
        <TextField field="first_name" label="First name" value={input.firstName} errors={errors} />
        <TextField field="last_name" label="Last name" value={input.lastName} errors={errors} />
        <fieldset class="field">
          <legend class="label">Status</legend>
          <Flag
            field="is_active"
            label="Active"
            help="may log in and use their tokens; unticked, their sessions end and their tokens stop working"
            checked={input.isActive}
            errors={errors}
          />
          {props.staff.isSuperuser ? (
            <>
              <Flag
                field="is_staff"
                label="Staff"
                help="may use this console"
                checked={input.isStaff}
                errors={errors}
              />
              <Flag
                field="is_superuser"
                label="Superuser"
                help="may manage staff accounts too"
                checked={input.isSuperuser}
                errors={errors}
              />
            </>
          ) : null}
        </fieldset>
        <FormActions submit="Save" cancel={path} />
      </form>
    </ConsolePage>
  )
}

const PASSWORD_FIELDS = [
  ['password1', 'Password'],
  ['password2', 'Password (again)'],
] as const

function PasswordFields(props: { errors: FieldErrorMap }) {
  const { errors } = props
  return (
    <>
      {PASSWORD_FIELDS.map(([field, label]) => (
        <TextField field={field} label={label} type="password" autocomplete="new-password" required errors={errors} />
      ))}
    </>
  )
}

export function PasswordPage(props: { staff: User; user: User; errors: FieldErrorMap }) {
  const path = userPath(props.user)
  return (
    <ConsolePage title={`Change password: ${props.user.username}`} staff={props.staff}>
      <p>Every session of the user ends, and their OAuth tokens and API key are revoked.</p>
      <form method="post" action={`${path}password/`}>
        <FormErrors errors={props.errors} />
        <PasswordFields errors={props.errors} />
        <FormActions submit="Change password" cancel={path} />
      </form>
    </ConsolePage>
  )
}
