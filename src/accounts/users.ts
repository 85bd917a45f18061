/**
 * @module
 * Users: creation and password authentication (Django's ModelBackend rules).
 */
import { and, eq, inArray } from 'drizzle-orm'
import { hashPassword, passwordMustUpdate, verifyAgainstDummy, verifyPassword } from '../crypto/passwords.ts'
import { chunks, rowsPerStatement } from '../db/batching.ts'
import type { Db } from '../db/client.ts'
import { type User, users } from '../db/schema.ts'
import { passwordCheckFloorMs, withTimeFloor } from './password-timing.ts'
import { normalizeUsername, usernameKey } from './usernames.ts'

export type NewUser = {
  username: string
  email?: string
  password: string
  firstName?: string
  lastName?: string
  isStaff?: boolean
  isSuperuser?: boolean
}

/**
 * Stores the username's NFKC form (Django's create_user → normalize_username) and its
 * case-insensitive key, whose unique index refuses `ADMIN` beside `admin`.
 */
export async function createUser(db: Db, user: NewUser): Promise<User> {
  const { password, ...fields } = user
  const username = normalizeUsername(fields.username)
  return db
    .insert(users)
    .values({ ...fields, username, usernameKey: usernameKey(username), password: await hashPassword(password) })
    .returning()
    .get()
}

/** A user brought over from Django (`manage import-django`): the password hash as Django stored it. */
export type ImportedUser = {
  username: string
  email: string
  firstName: string
  lastName: string
  password: string
  isActive: boolean
  isStaff: boolean
  isSuperuser: boolean
  dateJoined: Date
  lastLogin: Date | null
}

// The ten fields, username_key, and session_generation's default (bound by drizzle).
const IMPORTED_USER_COLUMNS = 12

/**
 * INSERT statements for imported users (normalised as createUser does), each within D1's bound
 * parameters; a username already taken is left as it is (the import checked it is the same user).
 */
export function importUserStatements(db: Db, rows: ImportedUser[]) {
  return chunks(rows, rowsPerStatement(IMPORTED_USER_COLUMNS)).map((chunk) =>
    db
      .insert(users)
      .values(
        chunk.map((row) => {
          const username = normalizeUsername(row.username)
          return { ...row, username, usernameKey: usernameKey(username) }
        }),
      )
      .onConflictDoNothing()
      .returning({ id: users.id }),
  )
}

/** The users holding any of these case-insensitive keys (usernameKey), as reads to batch. */
export function usersByKeysQueries(db: Db, keys: string[]) {
  return chunks(keys, 100).map((chunk) =>
    db
      .select({ id: users.id, username: users.username, usernameKey: users.usernameKey, dateJoined: users.dateJoined })
      .from(users)
      .where(inArray(users.usernameKey, chunk)),
  )
}

export async function findUserById(db: Db, id: number): Promise<User | undefined> {
  if (!Number.isSafeInteger(id)) return undefined
  return db.select().from(users).where(eq(users.id, id)).get()
}

/** Exact on the NFKC form (the login form normalises; ModelBackend then matches exactly). */
export async function findUserByUsername(db: Db, username: string): Promise<User | undefined> {
  return db
    .select()
    .from(users)
    .where(eq(users.username, normalizeUsername(username)))
    .get()
}

/**
 * The active user with this username and password, or null. An unknown username costs
 * one password verification too, so timing does not reveal which usernames exist; while
 * slow imported PBKDF2 hashes remain, every check is padded to the login time floor
 * (src/accounts/password-timing.ts). Callers apply the login rate limits first.
 * A correct password whose stored hash is outdated (another algorithm or weaker
 * parameters, Django's must_update) is rehashed with the current hasher.
 */
export async function authenticateUser(db: Db, username: string, password: string): Promise<User | null> {
  const floorMs = await passwordCheckFloorMs(db)
  return withTimeFloor(floorMs, () => checkCredentials(db, username, password))
}

async function checkCredentials(db: Db, username: string, password: string): Promise<User | null> {
  const user = await findUserByUsername(db, username)
  if (!user) return verifyAgainstDummy(password).then(() => null)
  if (!(await verifyPassword(password, user.password))) return null
  if (passwordMustUpdate(user.password)) await upgradePasswordHash(db, user, password)
  return user.isActive ? user : null
}

async function upgradePasswordHash(db: Db, user: User, password: string): Promise<void> {
  const encoded = await hashPassword(password)
  // Only if the hash is still the one verified: a concurrent password change wins.
  await db
    .update(users)
    .set({ password: encoded })
    .where(and(eq(users.id, user.id), eq(users.password, user.password)))
  user.password = encoded
}
