/**
 * @module
 * `.dev.vars` (git-ignored), the local settings file that `wrangler dev` and `npm run manage` read:
 * each secret it lacks is generated and appended (SECRET_KEY, and OIDC_SIGNING_KEYS with an RS256
 * and an ES256 key), so a fresh clone runs without a step by hand. What else it holds (any
 * setting, docs/configuration.md) is left as it is.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { randomString } from '../crypto/random.ts'

const HEADER = `# Local settings and secrets for wrangler dev and npm run manage (git-ignored: never commit).
# Any setting of docs/configuration.md may be set here, e.g. PAGE_SIZE=50.
`

const DEV_SECRETS: Record<string, () => Promise<string>> = {
  SECRET_KEY: async () => randomString(50),
  // Both algorithms, so an application that selects ES256 works locally too. Loaded only when
  // needed: key generation pulls in code a command otherwise never runs.
  OIDC_SIGNING_KEYS: async () => (await import('../crypto/signing-keys.ts')).generateSigningKeySet(['RS256', 'ES256']),
}

/** Appends each missing secret; returns their names (none: the file was left untouched). */
export async function ensureDevVars(file: string): Promise<string[]> {
  const existing = existsSync(file) ? readFileSync(file, 'utf8') : HEADER
  const missing = Object.keys(DEV_SECRETS).filter((name) => !new RegExp(`^\\s*${name}\\s*=`, 'm').test(existing))
  if (missing.length === 0) return missing
  let text = existing.endsWith('\n') || existing === '' ? existing : `${existing}\n`
  for (const name of missing) text += `${name}=${await DEV_SECRETS[name]()}\n`
  writeFileSync(file, text)
  return missing
}
