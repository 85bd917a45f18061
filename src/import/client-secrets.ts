/**
 * @module
 * Imported client secrets that exist only as Django's password hash (DOT ≥ 2 `hash_client_secret`,
 * typically `pbkdf2_sha256` at 1,000,000 iterations): each check of one costs a second or more of
 * CPU, so the operator is shown which clients hold one (at the import, and later with
 * `import-django --slow-secrets`), and can replace them by this server's digest with the plaintexts,
 * when they have them (`--client-secrets <file.json>`, at the import or later): each plaintext is
 * checked against the hash first, and the change is audited in the same batch.
 */
import { and, eq, isNotNull, sql } from 'drizzle-orm'
import { sha256Hex } from '../crypto/digest.ts'
import { verifyPassword } from '../crypto/passwords.ts'
import type { Db } from '../db/client.ts'
import { applications, auditLog } from '../db/schema.ts'
import { DumpError } from './dump.ts'

/** Who writes the import's audit entries: no user, the command. */
export const IMPORT_ACTOR = 'manage import-django'

/** A client whose secret is kept as Django's hash, and what that hash costs. */
export type SlowSecret = { clientId: string; hasher: string }

/** Django's hasher and its cost, as the operator reads it: `pbkdf2_sha256, 1,000,000 iterations`. */
export function describeHasher(encoded: string): string {
  const [algorithm, ...parts] = encoded.split('$')
  if (algorithm === 'pbkdf2_sha256' && /^\d+$/.test(parts[0] ?? '')) {
    return `${algorithm}, ${Number(parts[0]).toLocaleString('en-US')} iterations`
  }
  if (algorithm === 'argon2' && parts.length >= 3) return `argon2 (${parts[0]}, ${parts[2]})`
  return algorithm || '(empty)'
}

/** The operator's client secrets file: a JSON object of client_id → plaintext secret. */
export function parseClientSecrets(data: unknown): Record<string, string> {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new DumpError(['not a JSON object of client_id → secret'], 'The client secrets file was not read')
  }
  const problems = Object.entries(data)
    .filter(([, secret]) => typeof secret !== 'string' || secret === '')
    .map(([clientId]) => `${JSON.stringify(clientId)}: the secret is not a non-empty string`)
  if (problems.length > 0) throw new DumpError(problems, 'The client secrets file was not read')
  return data as Record<string, string>
}

/** Whether `secret` is the one Django hashed into `encoded` (the slow check, done once, here). */
export function secretMatches(secret: string, encoded: string): Promise<boolean> {
  return verifyPassword(secret, encoded)
}

/** The imported clients still holding Django's hash of their secret (not yet used since, nor re-stored). */
export async function slowSecretClients(db: Db): Promise<(SlowSecret & { name: string })[]> {
  const rows = await db
    .select({ clientId: applications.clientId, name: applications.name, hash: applications.djangoClientSecret })
    .from(applications)
    .where(isNotNull(applications.djangoClientSecret))
    .orderBy(applications.id)
  return rows.map((row) => ({ clientId: row.clientId, name: row.name, hasher: describeHasher(row.hash ?? '') }))
}

/**
 * Replaces the Django hash of each named client by the digest of its plaintext, after checking the
 * plaintext against the hash. A client_id that holds no Django hash, or a secret that does not
 * match, changes nothing at all (DumpError). Each change and its audit entry go in one batch; a
 * secret rotated meanwhile is left as it is. Returns the client_ids re-stored.
 */
export async function restoreClientSecrets(db: Db, secrets: Record<string, string>): Promise<string[]> {
  const problems: string[] = []
  const changes: { id: number; clientId: string; hash: string; digest: string; hasher: string }[] = []
  for (const [clientId, secret] of Object.entries(secrets)) {
    const row = await db
      .select({ id: applications.id, hash: applications.djangoClientSecret })
      .from(applications)
      .where(eq(applications.clientId, clientId))
      .get()
    if (!row) problems.push(`${JSON.stringify(clientId)}: no such client here`)
    else if (row.hash === null) problems.push(`${JSON.stringify(clientId)}: its secret is not a Django hash`)
    else if (!(await secretMatches(secret, row.hash))) {
      problems.push(`${JSON.stringify(clientId)}: the secret given for it does not match its Django hash`)
    } else {
      changes.push({
        id: row.id,
        clientId,
        hash: row.hash,
        digest: await sha256Hex(secret),
        hasher: describeHasher(row.hash),
      })
    }
  }
  if (problems.length > 0) throw new DumpError(problems, 'No client secret was re-stored')
  const restored: string[] = []
  for (const change of changes) {
    const [updated] = await db.batch([
      db
        .update(applications)
        .set({ clientSecretHash: change.digest, djangoClientSecret: null })
        .where(and(eq(applications.id, change.id), eq(applications.djangoClientSecret, change.hash)))
        .returning({ id: applications.id }),
      // Written only where the change above was.
      db
        .insert(auditLog)
        .select(
          sql`SELECT NULL, NULL, ${IMPORT_ACTOR}, 'application.restore_secret', 'application', CAST(${applications.id} AS TEXT), ${applications.name}, ${`secret: Django’s hash (${change.hasher}) replaced by this server’s digest, from the client secrets file`}, unixepoch() FROM ${applications} WHERE ${applications.id} = ${change.id} AND ${applications.clientSecretHash} = ${change.digest} AND ${applications.djangoClientSecret} IS NULL`,
        ),
    ])
    if (updated.length > 0) restored.push(change.clientId)
  }
  return restored
}
