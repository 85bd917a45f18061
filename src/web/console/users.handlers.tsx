/**
 * @module
 * The console's users (Django admin's UserAdmin): search and list, detail with the user's
 * applications, live tokens and API key, create, change password, deactivate / reactivate,
 * log out everywhere, delete. Every change is audited (./audit.ts). A staff user who is not
 * a superuser manages ordinary users only: staff and superuser accounts, and the staff and
 * superuser flags, are for superusers (no one raises their own rights through the console).
 */
import type { Context } from 'hono'
import { type AuditRecord, auditStatement } from '../accounts/audit.ts'
import type { PasswordOwner } from '../accounts/password-rules.ts'
import { readPassword, registerUser } from '../accounts/registration.ts'
import { MAY_NOT_MANAGE, mayManageUser } from '../accounts/rights.ts'
import { activateUser, deactivateUser, deleteUser, logOutEverywhere, setPassword } from '../accounts/user-lifecycle.ts'
import { searchUsers } from '../accounts/user-list.ts'
import { userIdByUsername } from '../accounts/users.ts'
import type { User } from '../db/schema.ts'
import { searchTextProblem } from '../db/search.ts'
import { malformedFormPage, renderPage } from '../http/html.tsx'
import { NO_STORE_HEADERS } from '../http/semantics.ts'
import { formParams, single } from '../lib/forms.ts'
import { db, tokenStore } from '../lib/request-context.ts'
import { listOwnApplications } from '../oauth/applications.ts'
import { listLiveTokens } from '../tokens/store.ts'
import type { StaffEnv } from '../types.ts'
import { ApiKeyPanel, userApiKeys } from './api-keys.tsx'
import {
  checked,
  forbidden,
  notFound,
  PAGE_SIZE,
  pathUser,
  queryText,
  redirectAfterPost,
  requestedPage,
} from './request.tsx'
import { TOKEN_LIST_LIMIT, TokenTable } from './tokens.tsx'
import { managedUser, userPath } from './user-access.ts'
import { ConfirmPage, ConsolePage, FieldErrors, formatTime, Notice, PostButton, SearchListPage } from './views.tsx'

const USERS = '/admin/users/'
// Django's SetPasswordForm message.
const PASSWORDS_DIFFER = 'The two password fields didn’t match.'

const NOTICES: Record<string, string> = {
  created: 'The user was created.',
  password: 'The password was changed; the user’s sessions ended and their tokens and API key were revoked.',
  deactivated: 'The user was deactivated: their sessions ended and their tokens and API key stopped working.',
  reactivated: 'The user was reactivated: their unexpired tokens and API key work again.',
  logged_out: 'Every session of the user ended and every token and API key of theirs was revoked.',
  deleted: 'The user was deleted with their applications, tokens and API key.',
  token_revoked: 'The token was revoked.',
  tokens_revoked: 'Every OAuth token of the user was revoked.',
  key_revoked: 'The API key was revoked.',
}

export async function userList(c: Context<StaffEnv>) {
  const query = queryText(c, 'q')
  // Past the longest text searched: the page says so, with nothing listed (400).
  const queryProblem = searchTextProblem(query)
  const page = requestedPage(c)
  const found = queryProblem
    ? { count: 0, page: 1, pageCount: 1, users: [] }
    : page === null
      ? null
      : await searchUsers(db(c), query, page, PAGE_SIZE)
  if (!found) return notFound(c)
  return renderPage(
    c,
    <SearchListPage
      title="Users"
      staff={c.var.staff}
      notice={NOTICES[queryText(c, 'notice')]}
      path={USERS}
      add="Add user"
      searchLabel="Search by username or email"
      query={query}
      queryProblem={queryProblem}
      count={found.count}
      noun={['user', 'users']}
      columns={['Username', 'Email', 'Active', 'Staff', 'Joined']}
      page={found.page}
      pageCount={found.pageCount}
    >
      {found.users.map((user) => (
        <tr>
          <td data-label="Username">
            <a href={userPath(user)}>{user.username}</a>
          </td>
          <td data-label="Email">{user.email}</td>
          <td data-label="Active">{user.isActive ? 'yes' : 'no'}</td>
          <td data-label="Staff">{user.isSuperuser ? 'superuser' : user.isStaff ? 'staff' : ''}</td>
          <td data-label="Joined">{formatTime(user.dateJoined)}</td>
        </tr>
      ))}
    </SearchListPage>,
    queryProblem ? 400 : 200,
    NO_STORE_HEADERS,
  )
}

export async function userDetail(c: Context<StaffEnv>) {
  const user = await pathUser(c)
  if (!user) return notFound(c)
  const [applications, tokens, apiKeys] = await Promise.all([
    listOwnApplications(db(c), user.id),
    listLiveTokens(db(c), { userId: user.id }, TOKEN_LIST_LIMIT),
    userApiKeys(db(c), user.id),
  ])
  const path = userPath(user)
  const manageable = mayManageUser(c.var.staff, user)
  const self = user.id === c.var.staff.id
  return renderPage(
    c,
    <ConsolePage title={`User ${user.username}`} staff={c.var.staff}>
      <Notice text={NOTICES[queryText(c, 'notice')]} />
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
        <dd>{formatTime(user.dateJoined)}</dd>
        <dt>Last login</dt>
        <dd>{user.lastLogin ? formatTime(user.lastLogin) : 'never'}</dd>
      </dl>
      {manageable ? (
        <section aria-label="Actions" class="actions">
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
        <a href={`/admin/log/?${new URLSearchParams({ object_type: 'user', object_id: String(user.id) })}`}>History</a>
      </p>
      <h2>Applications</h2>
      {applications.length === 0 ? (
        <p>None.</p>
      ) : (
        <ul>
          {applications.map((application) => (
            <li>
              <a href={`/admin/applications/${application.id}/`}>{application.name}</a> ({application.clientType})
            </li>
          ))}
        </ul>
      )}
      <h2>Live tokens</h2>
      <TokenTable tokens={tokens} base={manageable ? path : null} show="application" />
      <h2>API key</h2>
      <ApiKeyPanel base={manageable ? path : null} apiKeys={apiKeys} />
    </ConsolePage>,
    200,
    NO_STORE_HEADERS,
  )
}

type UserInput = { username: string; email: string; isStaff: boolean; isSuperuser: boolean }

function UserForm(props: { staff: User; input: UserInput; errors: Record<string, string[]> }) {
  const { input, errors } = props
  return (
    <ConsolePage title="Add user" staff={props.staff}>
      <form method="post" action={`${USERS}add/`}>
        <div class="field">
          <label for="username">Username</label>
          <input type="text" id="username" name="username" value={input.username} required />
          <FieldErrors id="username-errors" errors={errors.username} />
        </div>
        <div class="field">
          <label for="email">Email</label>
          <input type="email" id="email" name="email" value={input.email} />
          <FieldErrors id="email-errors" errors={errors.email} />
        </div>
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
        <button type="submit" class="button primary">
          Create user
        </button>{' '}
        <a class="button secondary" href={USERS}>
          Cancel
        </a>
      </form>
    </ConsolePage>
  )
}

function PasswordFields(props: { errors: Record<string, string[]> }) {
  return (
    <>
      <div class="field">
        <label for="password1">Password</label>
        <input type="password" id="password1" name="password1" autocomplete="new-password" required />
        <FieldErrors id="password1-errors" errors={props.errors.password1} />
      </div>
      <div class="field">
        <label for="password2">Password (again)</label>
        <input type="password" id="password2" name="password2" autocomplete="new-password" required />
        <FieldErrors id="password2-errors" errors={props.errors.password2} />
      </div>
    </>
  )
}

/** The password and its confirmation, read with the API's password rules for `owner`; errors by field. */
function readNewPassword(
  form: Record<string, string[]>,
  errors: Record<string, string[]>,
  owner: PasswordOwner,
): string | undefined {
  errors.password1 = []
  errors.password2 = []
  const password = readPassword(single(form, 'password1'), errors.password1, owner)
  if (password !== undefined && errors.password1.length === 0 && single(form, 'password2') !== password) {
    errors.password2.push(PASSWORDS_DIFFER)
  }
  return errors.password1.length === 0 && errors.password2.length === 0 ? password : undefined
}

const EMPTY_USER: UserInput = { username: '', email: '', isStaff: false, isSuperuser: false }

export function addUserPage(c: Context<StaffEnv>) {
  return renderPage(c, <UserForm staff={c.var.staff} input={EMPTY_USER} errors={{}} />, 200, NO_STORE_HEADERS)
}

export async function addUser(c: Context<StaffEnv>) {
  const form = await formParams(c)
  if (!form) return malformedFormPage(c)
  const staff = c.var.staff
  const input: UserInput = {
    username: single(form, 'username') ?? '',
    email: single(form, 'email') ?? '',
    // Only a superuser may hand out rights; anyone else's ticks are not read.
    isStaff: staff.isSuperuser && checked(form, 'is_staff'),
    isSuperuser: staff.isSuperuser && checked(form, 'is_superuser'),
  }
  const errors: Record<string, string[]> = {}
  const password = readNewPassword(form, errors, { username: input.username, email: input.email })
  const roles = input.isSuperuser ? 'superuser' : input.isStaff ? 'staff' : 'ordinary user'
  // Without a valid password registerUser is handed '' and refuses it before any insert, so the
  // username and email are still checked and every error shows at once.
  const result = await registerUser(
    db(c),
    { username: input.username, email: input.email, password: password ?? '' },
    { isStaff: input.isStaff || input.isSuperuser, isSuperuser: input.isSuperuser },
    (username) => [
      auditStatement(db(c), staff, {
        action: 'user.create',
        objectType: 'user',
        objectId: userIdByUsername(db(c), username),
        objectRepr: username,
        message: `Created as ${roles}.`,
      }),
    ],
  )
  if (password === undefined || !result.ok) {
    // registerUser's own password message would repeat ours under a field the form does not have.
    const { password: _, ...fieldErrors } = result.ok ? {} : result.errors
    return renderPage(
      c,
      <UserForm staff={staff} input={input} errors={{ ...fieldErrors, ...errors }} />,
      400,
      NO_STORE_HEADERS,
    )
  }
  return redirectAfterPost(c, userPath(result.user), 'created')
}

function PasswordPage(props: { staff: User; user: User; errors: Record<string, string[]> }) {
  return (
    <ConsolePage title={`Change password: ${props.user.username}`} staff={props.staff}>
      <p>Every session of the user ends, and their OAuth tokens and API key are revoked.</p>
      <form method="post" action={`${userPath(props.user)}password/`}>
        <PasswordFields errors={props.errors} />
        <button type="submit" class="button primary">
          Change password
        </button>{' '}
        <a class="button secondary" href={userPath(props.user)}>
          Cancel
        </a>
      </form>
    </ConsolePage>
  )
}

export async function passwordPage(c: Context<StaffEnv>) {
  const user = await managedUser(c)
  if (user instanceof Response) return user
  return renderPage(c, <PasswordPage staff={c.var.staff} user={user} errors={{}} />, 200, NO_STORE_HEADERS)
}

export async function changePassword(c: Context<StaffEnv>) {
  const user = await managedUser(c)
  if (user instanceof Response) return user
  const form = await formParams(c)
  if (!form) return malformedFormPage(c)
  const errors: Record<string, string[]> = {}
  const password = readNewPassword(form, errors, user)
  if (password === undefined) {
    return renderPage(c, <PasswordPage staff={c.var.staff} user={user} errors={errors} />, 400, NO_STORE_HEADERS)
  }
  await setPassword(tokenStore(c), user.id, password, [
    audit(c, user, 'user.password', 'Changed the password; sessions ended, tokens and API key revoked.'),
  ])
  return redirectAfterPost(c, userPath(user), 'password')
}

const SELF_LOCKOUT = 'You cannot deactivate or delete your own account here.'

/** The audit row of a change to `user`, for the change's own batch. */
function audit(c: Context<StaffEnv>, user: User, action: string, message?: AuditRecord['message']) {
  return auditStatement(db(c), c.var.staff, {
    action,
    objectType: 'user',
    objectId: user.id,
    objectRepr: user.username,
    message,
  })
}

export async function deactivate(c: Context<StaffEnv>) {
  const user = await managedUser(c)
  if (user instanceof Response) return user
  if (user.id === c.var.staff.id) return forbidden(c, SELF_LOCKOUT)
  await deactivateUser(tokenStore(c), user.id, [audit(c, user, 'user.deactivate')])
  return redirectAfterPost(c, userPath(user), 'deactivated')
}

export async function reactivate(c: Context<StaffEnv>) {
  const user = await managedUser(c)
  if (user instanceof Response) return user
  await activateUser(db(c), user.id, [audit(c, user, 'user.reactivate')])
  return redirectAfterPost(c, userPath(user), 'reactivated')
}

export async function logoutEverywherePage(c: Context<StaffEnv>) {
  const user = await managedUser(c)
  if (user instanceof Response) return user
  return renderPage(
    c,
    <ConfirmPage
      staff={c.var.staff}
      title={`Log ${user.username} out everywhere?`}
      action={`${userPath(user)}logout-everywhere/`}
      cancel={userPath(user)}
      button="Log out everywhere"
    >
      <p>
        Every browser session of {user.username} ends, and every OAuth token (access and refresh) and their API key are
        revoked. Their password stays the same.
      </p>
    </ConfirmPage>,
    200,
    NO_STORE_HEADERS,
  )
}

export async function logoutEverywhere(c: Context<StaffEnv>) {
  const user = await managedUser(c)
  if (user instanceof Response) return user
  await logOutEverywhere(tokenStore(c), user.id, [
    audit(c, user, 'user.logout_everywhere', 'Ended every session; revoked every token and the API key.'),
  ])
  return redirectAfterPost(c, userPath(user), 'logged_out')
}

export async function deletePage(c: Context<StaffEnv>) {
  const user = await managedUser(c)
  if (user instanceof Response) return user
  if (user.id === c.var.staff.id) return forbidden(c, SELF_LOCKOUT)
  return renderPage(
    c,
    <ConfirmPage
      staff={c.var.staff}
      title={`Delete ${user.username}?`}
      action={`${userPath(user)}delete/`}
      cancel={userPath(user)}
      button="Yes, delete"
    >
      <p>
        The user is deleted with everything of theirs: their applications (and every token issued to them), their
        tokens, authorization codes and API key. This cannot be undone; deactivating keeps the data.
      </p>
    </ConfirmPage>,
    200,
    NO_STORE_HEADERS,
  )
}

export async function removeUser(c: Context<StaffEnv>) {
  const user = await managedUser(c)
  if (user instanceof Response) return user
  if (user.id === c.var.staff.id) return forbidden(c, SELF_LOCKOUT)
  await deleteUser(tokenStore(c), user.id, [audit(c, user, 'user.delete')])
  return redirectAfterPost(c, USERS, 'deleted')
}
