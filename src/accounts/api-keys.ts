/**
 * @module
 * DRF's `obtain_auth_token` (served at DRF's `/api-token-auth/`): username + password → the
 * user's API key (src/tokens/api-keys.ts). Keys are stored only as digests, so an existing key
 * cannot be shown again: each login issues a new key beside the user's others (one per device,
 * as django-rest-knox), where DRF would return the one key it keeps in plaintext.
 */
import type { LoginGate } from '../lib/rate-limit.ts'
import { issueApiKey } from '../tokens/api-keys.ts'
import type { TokenStore } from '../tokens/store.ts'
import { fieldErrors, readCharField } from './fields.ts'
import { logIn } from './login.ts'

// DRF's AuthTokenSerializer message for wrong credentials and inactive users alike.
const UNABLE_TO_LOG_IN = 'Unable to log in with provided credentials.'

// Generous limits so a huge body is refused before any password hashing.
const CREDENTIAL_MAX = 4096

export type ObtainedKey =
  | { ok: true; key: string }
  | { ok: false; errors: Record<string, string[]> }
  /** Over the brute-force limits (src/lib/rate-limit.ts): retry after this many seconds. */
  | { ok: false; retryAfter: number }

export async function obtainApiKey(
  store: TokenStore,
  input: Record<string, unknown>,
  gate: LoginGate,
): Promise<ObtainedKey> {
  const found = { username: [] as string[], password: [] as string[] }
  const field = { required: true, allowBlank: false, maxLength: CREDENTIAL_MAX }
  const username = readCharField(input.username, { ...field, trim: true }, found.username)
  // AuthTokenSerializer: the password is taken as typed (trim_whitespace=False).
  const password = readCharField(input.password, { ...field, trim: false }, found.password)
  const errors = fieldErrors(found)
  if (errors || username === undefined || password === undefined) return { ok: false, errors: errors ?? {} }

  const outcome = await logIn(store.db, gate, username, password)
  if (!outcome.ok && outcome.limited) return { ok: false, retryAfter: outcome.retryAfter }
  if (!outcome.ok) return { ok: false, errors: { non_field_errors: [UNABLE_TO_LOG_IN] } }
  return { ok: true, key: (await issueApiKey(store, outcome.user.id)).key }
}
