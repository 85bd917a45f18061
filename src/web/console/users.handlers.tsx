/**
 * @module
 * The console's users (Django admin's UserAdmin): search and list, detail with the user's
 * applications, live tokens and API key, create, change (email, names, flags), change password,
 * deactivate / reactivate,
 * log out everywhere, delete. Each change is written with its audit row in one D1 batch. A staff
 * user who is not a superuser manages ordinary users only: staff and superuser accounts, and the
 * staff and superuser flags, are for superusers (no one raises their own rights through the console).
 */
import type { Context } from 'hono'
import { type AuditRecord, auditStatement } from '../../accounts/audit.ts'
import { MESSAGES, readCharField } from '../../accounts/fields.ts'
import type { PasswordOwner } from '../../accounts/password-rules.ts'
import { EMAIL_MAX, isValidEmail, readPassword, registerUser } from '../../accounts/registration.ts'
import { mayManageUser } from '../../accounts/rights.ts'
import {
  activateUser,
  changeUserDetails,
  deactivateUser,
  deleteUser,
  logOutEverywhere,
  setPassword,
  type UserDetails,
} from '../../accounts/user-lifecycle.ts'
import { USER_ORDERS, userSearch } from '../../accounts/user-list.ts'
import { userIdByUsername } from '../../accounts/users.ts'
import type { User } from '../../db/schema.ts'
import { formParams, type RawParams, single } from '../../lib/forms.ts'
import { db, tokenStore } from '../../lib/request-context.ts'
import { listOwnApplications } from '../../oauth/applications.ts'
import { listApiKeys } from '../../tokens/api-keys.ts'
import { listLiveTokens } from '../../tokens/lists.ts'
import { checked, type FieldErrorMap } from '../kit/forms.tsx'
import { forbidden, malformedForm, notFound, renderPrivatePage, seeOther } from '../kit/page.tsx'
import type { PageEnv } from '../kit/session.ts'
import { managedUser, pathUser, queryOrder, queryText, searchList } from './request.ts'
import { ConsoleConfirmPage, USERS, userPath } from './shell.tsx'
import { TOKEN_LIST_LIMIT } from './tokens.views.tsx'
import {
  AddUserPage,
  ChangeUserPage,
  DETAIL_LABELS,
  EMPTY_USER,
  PasswordPage,
  USER_NOTICES,
  UserDetailPage,
  type UserInput,
  UserListPage,
} from './users.views.tsx'

type ConsoleContext = Context<PageEnv>

// Django's SetPasswordForm message.
const PASSWORDS_DIFFER = 'The two password fields didn’t match.'
const SELF_LOCKOUT = 'You cannot deactivate or delete your own account here.'
const SELF_DEACTIVATION = 'You cannot deactivate your own account.'
const SELF_DEMOTION = 'You cannot take away your own rights.'
// django.contrib.auth.models.AbstractUser: first_name and last_name, max_length=150.
const NAME_MAX = 150

export async function userList(c: ConsoleContext) {
  const sort = await queryOrder(c, USER_ORDERS)
  if (sort instanceof Response) return sort
  const search = await searchList(c, (database, query) => userSearch(database, query, sort.order))
  if (!search) return notFound(c)
  const notice = USER_NOTICES[queryText(c, 'notice')]
  return renderPrivatePage(
    c,
    <UserListPage staff={c.var.user} notice={notice} search={search} sort={sort} />,
    search.problem ? 400 : 200,
  )
}

export async function userDetail(c: ConsoleContext) {
  const user = await pathUser(c)
  if (!user) return notFound(c)
  const [applications, tokens, apiKeys] = await Promise.all([
    listOwnApplications(db(c), user.id),
    listLiveTokens(tokenStore(c), { userId: user.id }, TOKEN_LIST_LIMIT),
    listApiKeys(db(c), user.id),
  ])
  return renderPrivatePage(
    c,
    <UserDetailPage
      staff={c.var.user}
      user={user}
      notice={USER_NOTICES[queryText(c, 'notice')]}
      manageable={mayManageUser(c.var.user, user)}
      applications={applications}
      tokens={tokens}
      apiKeys={apiKeys}
    />,
  )
}

/** The password and its confirmation, read with the API's password rules for `owner`; errors by field. */
function readNewPassword(form: RawParams, errors: FieldErrorMap, owner: PasswordOwner): string | undefined {
  errors.password1 = []
  errors.password2 = []
  const password = readPassword(single(form, 'password1'), errors.password1, owner)
  if (password !== undefined && errors.password1.length === 0 && single(form, 'password2') !== password) {
    errors.password2.push(PASSWORDS_DIFFER)
  }
  return errors.password1.length === 0 && errors.password2.length === 0 ? password : undefined
}

export function addUserPage(c: ConsoleContext) {
  return renderPrivatePage(c, <AddUserPage staff={c.var.user} input={EMPTY_USER} errors={{}} />)
}

export async function addUser(c: ConsoleContext) {
  const form = await formParams(c)
  if (!form) return malformedForm(c)
  const staff = c.var.user
  const input: UserInput = {
    username: single(form, 'username') ?? '',
    email: single(form, 'email') ?? '',
    // Only a superuser may hand out rights; anyone else's ticks are not read.
    isStaff: staff.isSuperuser && checked(form, 'is_staff'),
    isSuperuser: staff.isSuperuser && checked(form, 'is_superuser'),
  }
  const errors: FieldErrorMap = {}
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
    return renderPrivatePage(c, <AddUserPage staff={staff} input={input} errors={{ ...fieldErrors, ...errors }} />, 400)
  }
  return seeOther(c, userPath(result.user), 'created')
}

export async function passwordPage(c: ConsoleContext) {
  const user = await managedUser(c)
  if (user instanceof Response) return user
  return renderPrivatePage(c, <PasswordPage staff={c.var.user} user={user} errors={{}} />)
}

export async function changePassword(c: ConsoleContext) {
  const user = await managedUser(c)
  if (user instanceof Response) return user
  const form = await formParams(c)
  if (!form) return malformedForm(c)
  const errors: FieldErrorMap = {}
  const password = readNewPassword(form, errors, user)
  if (password === undefined) {
    return renderPrivatePage(c, <PasswordPage staff={c.var.user} user={user} errors={errors} />, 400)
  }
  await setPassword(tokenStore(c), user.id, password, [
    audit(c, user, 'user.password', 'Changed the password; sessions ended, tokens and API key revoked.'),
  ])
  return seeOther(c, userPath(user), 'password')
}

export async function changeUserPage(c: ConsoleContext) {
  const user = await managedUser(c)
  if (user instanceof Response) return user
  return renderPrivatePage(c, <ChangeUserPage staff={c.var.user} user={user} input={user} errors={{}} />)
}

/** A text field of the change form: trimmed, optional, at most `maxLength` characters. */
function readText(form: RawParams, field: string, maxLength: number, errors: FieldErrorMap): string {
  errors[field] = []
  const value = single(form, field) ?? ''
  readCharField(value, { required: false, allowBlank: true, trim: true, maxLength }, errors[field])
  return value.trim()
}

/**
 * The details the form asks for, with errors by field. Only a superuser's rights ticks are read
 * (anyone else keeps the user's); nobody deactivates themselves or gives up their own rights.
 */
function readUserDetails(form: RawParams, staff: User, user: User): { details: UserDetails; errors: FieldErrorMap } {
  const errors: FieldErrorMap = {}
  const email = readText(form, 'email', EMAIL_MAX, errors)
  if (email && errors.email.length === 0 && !isValidEmail(email)) errors.email.push(MESSAGES.email)
  const isSuperuser = staff.isSuperuser ? checked(form, 'is_superuser') : user.isSuperuser
  const details: UserDetails = {
    email,
    firstName: readText(form, 'first_name', NAME_MAX, errors),
    lastName: readText(form, 'last_name', NAME_MAX, errors),
    isActive: checked(form, 'is_active'),
    // A superuser is staff too (as the add form makes them).
    isStaff: (staff.isSuperuser ? checked(form, 'is_staff') : user.isStaff) || isSuperuser,
    isSuperuser,
  }
  if (user.id === staff.id) {
    if (!details.isActive) errors.is_active = [SELF_DEACTIVATION]
    if (user.isStaff && !details.isStaff) errors.is_staff = [SELF_DEMOTION]
    if (user.isSuperuser && !details.isSuperuser) errors.is_superuser = [SELF_DEMOTION]
  }
  return { details, errors }
}

/** "email address, first name and staff status". */
function listed(names: string[]): string {
  return names.length < 2 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`
}

export async function changeUser(c: ConsoleContext) {
  const user = await managedUser(c)
  if (user instanceof Response) return user
  const form = await formParams(c)
  if (!form) return malformedForm(c)
  const { details, errors } = readUserDetails(form, c.var.user, user)
  if (Object.values(errors).some((messages) => messages.length > 0)) {
    return renderPrivatePage(c, <ChangeUserPage staff={c.var.user} user={user} input={details} errors={errors} />, 400)
  }
  const changed = (Object.keys(DETAIL_LABELS) as (keyof UserDetails)[]).filter((key) => details[key] !== user[key])
  if (changed.length === 0) return seeOther(c, userPath(user), 'unchanged')
  const message = `Changed ${listed(changed.map((key) => DETAIL_LABELS[key]))}.`
  await changeUserDetails(tokenStore(c), user, details, [audit(c, user, 'user.change', message)])
  return seeOther(c, userPath(user), 'changed')
}

/** The audit row of a change to `user`, for the change's own batch. */
function audit(c: ConsoleContext, user: User, action: string, message?: AuditRecord['message']) {
  return auditStatement(db(c), c.var.user, {
    action,
    objectType: 'user',
    objectId: user.id,
    objectRepr: user.username,
    message,
  })
}

export async function deactivate(c: ConsoleContext) {
  const user = await managedUser(c)
  if (user instanceof Response) return user
  if (user.id === c.var.user.id) return forbidden(c, SELF_LOCKOUT)
  await deactivateUser(tokenStore(c), user.id, [audit(c, user, 'user.deactivate')])
  return seeOther(c, userPath(user), 'deactivated')
}

export async function reactivate(c: ConsoleContext) {
  const user = await managedUser(c)
  if (user instanceof Response) return user
  await activateUser(db(c), user.id, [audit(c, user, 'user.reactivate')])
  return seeOther(c, userPath(user), 'reactivated')
}

export async function logoutEverywherePage(c: ConsoleContext) {
  const user = await managedUser(c)
  if (user instanceof Response) return user
  return renderPrivatePage(
    c,
    <ConsoleConfirmPage
      staff={c.var.user}
      title={`Log ${user.username} out everywhere?`}
      action={`${userPath(user)}logout-everywhere/`}
      cancel={userPath(user)}
      button="Log out everywhere"
    >
      <p>
        Every browser session of {user.username} ends, and every OAuth token (access and refresh) and their API key are
        revoked. Their password stays the same.
      </p>
    </ConsoleConfirmPage>,
  )
}

export async function logoutEverywhere(c: ConsoleContext) {
  const user = await managedUser(c)
  if (user instanceof Response) return user
  await logOutEverywhere(tokenStore(c), user.id, [
    audit(c, user, 'user.logout_everywhere', 'Ended every session; revoked every token and the API key.'),
  ])
  return seeOther(c, userPath(user), 'logged_out')
}

export async function deletePage(c: ConsoleContext) {
  const user = await managedUser(c)
  if (user instanceof Response) return user
  if (user.id === c.var.user.id) return forbidden(c, SELF_LOCKOUT)
  return renderPrivatePage(
    c,
    <ConsoleConfirmPage
      staff={c.var.user}
      title={`Delete ${user.username}?`}
      action={`${userPath(user)}delete/`}
      cancel={userPath(user)}
      button="Yes, delete"
    >
      <p>
        The user is deleted with everything of theirs: their applications (and every token issued to them), their
        tokens, authorization codes and API key. This cannot be undone; deactivating keeps the data.
      </p>
    </ConsoleConfirmPage>,
  )
}

export async function removeUser(c: ConsoleContext) {
  const user = await managedUser(c)
  if (user instanceof Response) return user
  if (user.id === c.var.user.id) return forbidden(c, SELF_LOCKOUT)
  await deleteUser(tokenStore(c), user.id, [audit(c, user, 'user.delete')])
  return seeOther(c, USERS, 'deleted')
}
