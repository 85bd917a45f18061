/**
 * @module
 * Password login: the one function every password-checking entry point calls (the password
 * grant, `/accounts/login/`, `/api-token-auth/`). It normalises the username as Django's login
 * form does (UsernameField: NFKC), asks the brute-force gate (src/lib/rate-limit.ts) before
 * checking the password, and reports a wrong password back to it.
 */
import type { Db } from '../db/client.ts'
import type { User } from '../db/schema.ts'
import type { LoginGate } from '../lib/rate-limit.ts'
import { normalizeUsername } from './usernames.ts'
import { authenticateUser, type CredentialFacts } from './users.ts'

export type LoginOutcome =
  | { ok: true; user: User }
  /** Wrong username or password, or an inactive user: one answer for all three. */
  | { ok: false; limited: false }
  /** Over the brute-force limits: the password was not checked. Retry after this many seconds. */
  | { ok: false; limited: true; retryAfter: number }

/**
 * `seen`: the user as a replica had them, read while the caller did something else (the
 * password grant reads them alongside the client); `authenticateUser` says what is re-checked.
 */
export async function logIn(
  db: Db,
  gate: LoginGate,
  username: string,
  password: string,
  seen?: Promise<CredentialFacts>,
): Promise<LoginOutcome> {
  const name = normalizeUsername(username)
  const [admission, facts] = await Promise.all([gate(name), seen])
  if (!admission.admitted) return { ok: false, limited: true, retryAfter: admission.retryAfter }
  const user = await authenticateUser(db, name, password, facts)
  if (user) return { ok: true, user }
  await admission.failed()
  return { ok: false, limited: false }
}
