/**
 * @module
 * Users: creation and password authentication (Django's ModelBackend rules).
 */
import { and, type Column, eq, getTableColumns, inArray, is, SQL, sql } from 'drizzle-orm'
import type { BatchItem } from 'drizzle-orm/batch'
import { hashPassword, passwordMustUpdate, verifyAgainstDummy, verifyPassword } from '../crypto/passwords.ts'
import { chunks } from '../db/batching.ts'
import type { Db } from '../db/client.ts'
import { type User, users } from '../db/schema.ts'
import {
  floorMsOf,
  slowestArgon2HashQuery,
  slowestLegacyHashQuery,
  slowestOf,
  withTimeFloor,
} from './password-timing.ts'
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
 * case-insensitive key, whose unique index refuses `ADMIN` beside `admin`. `also` runs in the
 * same batch, after the insert (e.g. its audit row, naming the user by `userIdByUsername`).
 */
export async function createUser(db: Db, user: NewUser, also: BatchItem<'sqlite'>[] = []): Promise<User> {
  const { password, ...fields } = user
  const username = normalizeUsername(fields.username)
  const [[created]] = await db.batch([
    db
      .insert(users)
      .values({ ...fields, username, usernameKey: usernameKey(username), password: await hashPassword(password) })
      .returning(),
    ...also,
  ])
  return created
}

/** The id of the user named `username` (its stored, normalised form), as SQL for a batch. */
export function userIdByUsername(db: Db, username: string): SQL {
  return sql`(${db.select({ id: users.id }).from(users).where(eq(users.username, username))})`
}

/**
 * A user brought over from Django (`manage import-django`): Django's id (the OIDC `sub` relying
 * parties keep), the password hash as Django stored it.
 */
export type ImportedUser = {
  id: number
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

// Users go over as ONE bound parameter a statement, a JSON array read by json_each: within D1's
// 100 bound parameters, and ~50× faster than multi-row VALUES (8 users a statement) in local D1,
// whose cost is per statement (`node bench/import-django.ts`).
const USERS_PER_STATEMENT = 500
const KEYS_PER_QUERY = 1000

const IMPORTED_USER_COLUMNS: Column[] = [
  users.id,
  users.username,
  users.usernameKey,
  users.email,
  users.firstName,
  users.lastName,
  users.password,
  users.isActive,
  users.isStaff,
  users.isSuperuser,
  users.dateJoined,
  users.lastLogin,
]

const seconds = (date: Date) => Math.floor(date.getTime() / 1000)

/**
 * INSERT statements for imported users (normalised as createUser does), each with the id it had in
 * Django: AUTOINCREMENT then hands every user created later an id above them all. A row already
 * written by this very statement (a batch sent again after a lost connection) is passed over; any
 * other user holding the id or the username fails the statement, and its whole batch, rather than
 * be taken for the imported one. Each returns the ids it inserted.
 */
export function importUserStatements(db: Db, rows: ImportedUser[]) {
  return chunks(rows, USERS_PER_STATEMENT).map((chunk) => {
    const values = chunk.map((row) => {
      const username = normalizeUsername(row.username)
      return [
        row.id,
        username,
        usernameKey(username),
        row.email,
        row.firstName,
        row.lastName,
        row.password,
        row.isActive ? 1 : 0,
        row.isStaff ? 1 : 0,
        row.isSuperuser ? 1 : 0,
        seconds(row.dateJoined),
        row.lastLogin === null ? null : seconds(row.lastLogin),
      ]
    })
    // drizzle's INSERT … SELECT names every column of the table, in order: the imported ones read
    // from the JSON, the rest their default.
    const fields = Object.values(getTableColumns(users)).map((column) => {
      const index = IMPORTED_USER_COLUMNS.indexOf(column)
      if (index >= 0) return sql.raw(`value ->> ${index}`)
      if (column.default === undefined) return sql`NULL`
      return is(column.default, SQL) ? column.default : sql`${column.default}`
    })
    const written = sql`EXISTS (SELECT 1 FROM ${users} AS present WHERE present.id = value ->> 0 AND present.username = value ->> 1)`
    return db
      .insert(users)
      .select(sql`SELECT ${sql.join(fields, sql`, `)} FROM json_each(${JSON.stringify(values)}) WHERE NOT ${written}`)
      .returning({ id: users.id })
  })
}

const IMPORT_CHECK_COLUMNS = {
  id: users.id,
  username: users.username,
  usernameKey: users.usernameKey,
  isStaff: users.isStaff,
  isSuperuser: users.isSuperuser,
}

/** The users holding any of these case-insensitive keys (usernameKey), as reads to batch. */
export function usersByKeysQueries(db: Db, keys: string[]) {
  return chunks(keys, KEYS_PER_QUERY).map((chunk) =>
    db
      .select(IMPORT_CHECK_COLUMNS)
      .from(users)
      .where(inArray(users.usernameKey, sql`(SELECT value FROM json_each(${JSON.stringify(chunk)}))`)),
  )
}

/** The users holding any of these ids, as reads to batch. */
export function usersByIdsQueries(db: Db, ids: number[]) {
  return chunks(ids, KEYS_PER_QUERY).map((chunk) =>
    db
      .select(IMPORT_CHECK_COLUMNS)
      .from(users)
      .where(inArray(users.id, sql`(SELECT value FROM json_each(${JSON.stringify(chunk)}))`)),
  )
}

export async function findUserById(db: Db, id: number): Promise<User | undefined> {
  if (!Number.isSafeInteger(id)) return undefined
  return db.select().from(users).where(eq(users.id, id)).get()
}

/**
 * Django's `update_last_login`: a session login (not a token grant, as in Django, where DOT and
 * DRF authenticate without `login()`) stamps the user's row. Not read by any check: off the
 * login's path.
 */
export async function recordLogin(db: Db, id: number, at: Date = new Date()): Promise<void> {
  await db.update(users).set({ lastLogin: at }).where(eq(users.id, id))
}

/** Exact on the NFKC form (the login form normalises; ModelBackend then matches exactly). */
export async function findUserByUsername(db: Db, username: string): Promise<User | undefined> {
  return db
    .select()
    .from(users)
    .where(eq(users.username, normalizeUsername(username)))
    .get()
}

/** What a password check reads: the user by username and the login time floor (one batch of three reads). */
export type CredentialFacts = { user: User | undefined; floorMs: number }

/**
 * The user and the login time floor, in one batch on `db` (a replica, when the caller re-checks
 * what it relies on: see `authenticateUser`).
 */
export async function readCredentials(db: Db, username: string): Promise<CredentialFacts> {
  const [found, pbkdf2, argon2] = await db.batch([
    db
      .select()
      .from(users)
      .where(eq(users.username, normalizeUsername(username)))
      .limit(1),
    slowestLegacyHashQuery(db),
    slowestArgon2HashQuery(db),
  ])
  return { user: found[0], floorMs: floorMsOf(slowestOf(pbkdf2, argon2)) }
}

/**
 * The active user with this username and password, or null. An unknown username costs
 * one password verification too, so timing does not reveal which usernames exist; while
 * slow imported hashes remain, every check is padded to the login time floor
 * (src/accounts/password-timing.ts). Callers apply the login rate limits first.
 * A correct password whose stored hash is outdated (another algorithm or weaker
 * parameters, Django's must_update) is rehashed with the current hasher.
 *
 * `seen`: the facts as a replica had them (`readCredentials`). A success on them is the
 * caller's to re-check when it writes (the fences of src/tokens/fences.ts); a refusal is
 * confirmed by the primary (`db`), and the password checked again only if its row differs.
 */
export async function authenticateUser(
  db: Db,
  username: string,
  password: string,
  seen?: CredentialFacts,
): Promise<User | null> {
  const facts = seen ?? (await readCredentials(db, username))
  const user = await withTimeFloor(facts.floorMs, () => checkCredentials(db, facts.user, password))
  if (user || !seen) return user
  const current = await readCredentials(db, username)
  if (sameCredentials(current.user, facts.user)) return null
  return withTimeFloor(current.floorMs, () => checkCredentials(db, current.user, password))
}

function sameCredentials(a: User | undefined, b: User | undefined): boolean {
  if (!a || !b) return a === b
  return a.id === b.id && a.password === b.password && a.isActive === b.isActive
}

async function checkCredentials(db: Db, user: User | undefined, password: string): Promise<User | null> {
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
