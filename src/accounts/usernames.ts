/**
 * @module
 * What a username is: its normal form, its validity, and when two usernames are the same.
 * Every path that creates a user or checks a password goes through `normalizeUsername`, so
 * `ａｄｍｉｎ` (fullwidth) and `ᵃdmin` name the user `admin` and can never be created beside it.
 */
import { eq, or } from 'drizzle-orm'
import type { Db } from '../db/client.ts'
import { users } from '../db/schema.ts'

// django.contrib.auth.models.AbstractUser.username: max_length=150.
export const USERNAME_MAX_LENGTH = 150
// django.contrib.auth.validators.UnicodeUsernameValidator: r"^[\w.@+-]+\Z"
const USERNAME = /^[\p{L}\p{N}\p{M}_.@+-]+$/u

/**
 * Django's AbstractBaseUser.normalize_username (at creation) and the login form's
 * UsernameField.to_python (at login): Unicode NFKC, which folds compatibility characters
 * (fullwidth letters, superscripts, ligatures…) into their plain forms.
 */
export function normalizeUsername(username: string): string {
  return username.normalize('NFKC')
}

/** UnicodeUsernameValidator, applied to the normalised username as Django's form does. */
export function isValidUsername(username: string): boolean {
  return USERNAME.test(username)
}

/**
 * The case-insensitive identity of a username (stored in `users.username_key`, unique): the NFKC
 * form, upper- then lower-cased so that full case mappings meet (ß/SS/ss, ı/I/i), close to
 * Python's str.casefold. Django's UserCreationForm refuses a username equal to an existing one
 * under `username__iexact`; logins stay exact on the normalised username (ModelBackend).
 */
export function usernameKey(username: string): string {
  return normalizeUsername(username).toUpperCase().toLowerCase()
}

/**
 * Whether a user already holds this username, ignoring case (UserCreationForm.clean_username).
 * The exact match covers rows older than `username_key` whose key the migration could only
 * fold in ASCII (migrations/0005_username_ci.sql).
 */
export async function isUsernameTaken(db: Db, username: string): Promise<boolean> {
  const name = normalizeUsername(username)
  const found = await db
    .select({ id: users.id })
    .from(users)
    .where(or(eq(users.usernameKey, usernameKey(name)), eq(users.username, name)))
    .get()
  return found !== undefined
}
