/**
 * @module
 * `manage import-django`: the output of `python manage.py dumpdata auth.user oauth2_provider
 * authtoken` (Django + django-oauth-toolkit 1.x–3.x + DRF) brought over in three steps:
 * 1. `parseDump` (./dump.ts): every record checked against its model's shape, every reference
 *    between records resolved; a malformed or inconsistent dump stops here.
 * 2. `planImport` (./plan.ts): the rows to write, what is skipped and why, warnings, and the review
 *    (every superuser, staff user, skip_authorization app and DRF key, and whatever attaches to an
 *    account already here); the database is only read. A user or client already here is a clash,
 *    unless the operator asks for a merge.
 * 3. `writePlan` (./write.ts): D1 batches in dependency order, audited in the same batches.
 * A dump imported to the end is recorded (`django_imports`, by its digest, with the expiry of its
 * last token): running it again writes nothing, so a token revoked or rotated since is not brought
 * back, and prints the IMPORTED_TOKENS_UNTIL it printed the first time.
 * Django's user ids are kept: they are the OIDC `sub` DOT issued (`str(user.pk)`), which relying
 * parties know their users by; users created here later get ids above them (AUTOINCREMENT).
 */
import { eq, max } from 'drizzle-orm'
import { sha256Hex } from '../crypto/digest.ts'
import type { Db } from '../db/client.ts'
import { djangoImports } from '../db/schema.ts'
import { type SlowSecret, slowSecretClients } from './client-secrets.ts'
import { parseDump } from './dump.ts'
import { type PlanOptions, planImport, type Review, type Skipped } from './plan.ts'
import { type Kind, writePlan } from './write.ts'

export type Summary = {
  /** Rows written, per kind (0 everywhere on a dry run, or when the import ran before). */
  written: Record<Kind, number>
  /** Rows the dump would write, per kind (the dry run's counts). */
  planned: Record<Kind, number>
  review: Review
  /** Clients whose secret stays Django's (slow) hash; when the dump ran before, every such client here. */
  slowSecrets: SlowSecret[]
  skipped: Skipped[]
  warnings: string[]
  /** What IMPORTED_TOKENS_UNTIL must reach (Unix seconds): the last expiry of this dump's and every earlier import's tokens; null: none. */
  tokensUntil: number | null
  /** When this very dump was imported to the end before (then nothing was written now), or null. */
  importedBefore: Date | null
}

const NONE: Record<Kind, number> = { users: 0, applications: 0, accessTokens: 0, refreshTokens: 0, drfKeys: 0 }

const latest = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.max(a, b))

/**
 * The three steps: parse and check, plan, and (unless `dryRun`) write. Throws a DumpError before any
 * write. `tokens`: the token database the access and refresh tokens go to (IMPORTED_TOKENS_SHARD's,
 * src/tokens/shards.ts), by default the main database.
 */
export async function importDjangoDump(
  db: Db,
  data: unknown,
  options: PlanOptions & { dryRun?: boolean; tokens?: Db },
): Promise<Summary> {
  const dump = parseDump(data)
  const dumpDigest = await sha256Hex(JSON.stringify(data))
  const [[before], [earlier]] = await db.batch([
    db.select().from(djangoImports).where(eq(djangoImports.dumpDigest, dumpDigest)),
    db.select({ until: max(djangoImports.tokensUntil) }).from(djangoImports),
  ])
  if (before) {
    return {
      written: NONE,
      planned: NONE,
      review: { superusers: [], staff: [], skipApplications: [], drfKeys: [], attached: [], attachedApplications: [] },
      slowSecrets: (await slowSecretClients(db)).map(({ clientId, hasher }) => ({ clientId, hasher })),
      skipped: [],
      warnings: [],
      tokensUntil: earlier?.until ?? null,
      importedBefore: before.completedAt,
    }
  }
  const plan = await planImport(db, dump, options)
  const planned = {
    users: plan.users.length,
    applications: plan.applications.length,
    accessTokens: plan.accessTokens.length,
    refreshTokens: plan.refreshTokens.length,
    drfKeys: plan.drfKeys.length,
  }
  const written = options.dryRun
    ? NONE
    : await writePlan(db, plan, { dumpDigest, tokensUntil: plan.tokensUntil }, options.tokens ?? db)
  return {
    written,
    planned,
    review: plan.review,
    slowSecrets: plan.slowSecrets,
    skipped: plan.skipped,
    warnings: plan.warnings,
    tokensUntil: latest(earlier?.until ?? null, plan.tokensUntil),
    importedBefore: null,
  }
}
