/**
 * @module
 * Creating a user from an API request with the validation DRF's ModelSerializer derives from
 * Django's User model: every invalid field is reported at once, in DRF's field-error shape and
 * with Django's own messages. The password is hashed by createUser and never returned.
 */

import type { BatchItem } from 'drizzle-orm/batch'
import type { Db } from '../db/client.ts'
import type { User } from '../db/schema.ts'
import { fieldErrors, MESSAGES, readCharField } from './fields.ts'
import { PASSWORD_MAX_LENGTH, type PasswordOwner, passwordProblems } from './password-rules.ts'
import { isUsernameTaken, isValidUsername, normalizeUsername, USERNAME_MAX_LENGTH } from './usernames.ts'
import { createUser } from './users.ts'

// django.contrib.auth.models.AbstractUser: email (EmailField) max_length=254.
export const EMAIL_MAX = 254
// django.core.validators.EmailValidator: dot-atom user part, then a hostname whose last label
// is 2-63 characters not ending in "-", or the allowlisted "localhost".
const EMAIL_USER = /^[-!#$%&'*+/=?^_`{}|~0-9A-Z]+(\.[-!#$%&'*+/=?^_`{}|~0-9A-Z]+)*$/i
const EMAIL_DOMAIN = /^((?:[A-Z0-9](?:[A-Z0-9-]{0,61}[A-Z0-9])?\.)+)(?:[A-Z0-9-]{2,63}(?<!-))$/i
const EMAIL_DOMAIN_ALLOWLIST = ['localhost']

export type Registration = { ok: true; user: User } | { ok: false; errors: Record<string, string[]> }

/** Django's EmailValidator (also the CLI's, src/cli/commands/createsuperuser.ts). */
export function isValidEmail(email: string): boolean {
  const at = email.lastIndexOf('@')
  if (at < 1) return false
  const user = email.slice(0, at)
  const domain = email.slice(at + 1)
  return EMAIL_USER.test(user) && (EMAIL_DOMAIN_ALLOWLIST.includes(domain) || EMAIL_DOMAIN.test(domain))
}

function isUniqueViolation(error: unknown): boolean {
  for (let current = error; current instanceof Error; current = current.cause) {
    if (/UNIQUE constraint failed: users\.username(_key)?\b/.test(current.message)) return true
  }
  return false
}

/**
 * The password rules of every place that sets one (the users API, the operator console; the
 * CLI applies the same validators, src/cli/commands/input.ts): required, not blank, at most 128
 * characters, then Django's validators against `owner`; errors go to `errors`. Kept exactly as
 * typed: surrounding spaces are part of it.
 */
export function readPassword(value: unknown, errors: string[], owner: PasswordOwner): string | undefined {
  const password = readCharField(
    value,
    { required: true, allowBlank: false, trim: false, maxLength: PASSWORD_MAX_LENGTH },
    errors,
  )
  if (password === undefined || errors.length > 0) return undefined
  errors.push(...passwordProblems(password, owner))
  return errors.length > 0 ? undefined : password
}

/** Who a new user is besides their name: the operator console may create staff and superusers. */
export type Roles = { isStaff: boolean; isSuperuser: boolean }

/**
 * Validates `input` (a JSON or form body) and creates the user, or returns every field error.
 * `also(username)`: statements for the same batch as the insert (the console's audit row).
 */
export async function registerUser(
  db: Db,
  input: Record<string, unknown>,
  roles: Roles = { isStaff: false, isSuperuser: false },
  also?: (username: string) => BatchItem<'sqlite'>[],
): Promise<Registration> {
  const found = { username: [] as string[], email: [] as string[], password: [] as string[] }
  // Normalised before any check, as Django's UsernameField.to_python: the length, the characters
  // and the duplicate check all see the NFKC form that is stored.
  const rawUsername = typeof input.username === 'string' ? normalizeUsername(input.username) : input.username
  const username = readCharField(
    rawUsername,
    { required: true, allowBlank: false, trim: true, maxLength: USERNAME_MAX_LENGTH },
    found.username,
  )
  const email = readCharField(
    input.email,
    { required: false, allowBlank: true, trim: true, maxLength: EMAIL_MAX },
    found.email,
  )
  // Django's password validators, as the CLI applies them (DRF's tutorial serializer does not).
  const password = readPassword(input.password, found.password, { username: username ?? '', email })

  if (username && found.username.length === 0) {
    if (!isValidUsername(username)) found.username.push(MESSAGES.username)
    // UserCreationForm (Django ≥ 4.2): a username differing from an existing one only in case is taken.
    else if (await isUsernameTaken(db, username)) found.username.push(MESSAGES.usernameTaken)
  }
  if (email && found.email.length === 0 && !isValidEmail(email)) found.email.push(MESSAGES.email)

  const errors = fieldErrors(found)
  if (errors || !username || password === undefined) return { ok: false, errors: errors ?? {} }
  try {
    const user = await createUser(db, { username, email: email ?? '', password, ...roles }, also?.(username))
    return { ok: true, user }
  } catch (error) {
    // Another request took the username between the check and the insert.
    if (isUniqueViolation(error)) return { ok: false, errors: { username: [MESSAGES.usernameTaken] } }
    throw error
  }
}
