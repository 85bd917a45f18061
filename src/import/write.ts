/**
 * @module
 * Step 3 of `manage import-django` (./django.ts): the plan written in D1 batches, in dependency
 * order. Users keep Django's ids. Users and applications are plain INSERTs: the plan found their
 * usernames, ids and client_ids free, so one taken since fails its batch rather than be taken for
 * the dump's. Tokens and keys are INSERT … ON CONFLICT DO NOTHING keyed by their digest. D1 has no
 * transaction across batches, so a write that fails part-way leaves a prefix of the rows; running
 * the import again with --merge writes the rest.
 *
 * Every application created, and every superuser or staff account, is audited in the same batch as
 * its INSERT (one D1 batch is one transaction); the accounts already here that the dump's records
 * attach to (merge) are audited in the last batch, with the record of the import itself.
 */
import { sql } from 'drizzle-orm'
import type { BatchItem } from 'drizzle-orm/batch'
import { importUserStatements } from '../accounts/users.ts'
import { chunks, runBatched } from '../db/batching.ts'
import type { Db } from '../db/client.ts'
import { applications, auditLog, djangoImports } from '../db/schema.ts'
import { applicationsByClientIdsQueries, importApplicationStatements } from '../oauth/applications.ts'
import { importApiKeyStatements } from '../tokens/api-keys.ts'
import { importAccessTokenStatements, importRefreshTokenStatements } from '../tokens/import.ts'
import { IMPORT_ACTOR } from './client-secrets.ts'
import { label } from './dump.ts'
import type { Plan, PlannedApplication } from './plan.ts'

export type Kind = 'users' | 'applications' | 'accessTokens' | 'refreshTokens' | 'drfKeys'

type Statement = BatchItem<'sqlite'>

// Statements per D1 batch, as src/db/batching.ts sends them.
const STATEMENTS_PER_BATCH = 50
// Users per INSERT (src/accounts/users.ts sends up to 500 a statement) and applications per unit.
const USERS_PER_UNIT = 500
const APPLICATIONS_PER_UNIT = 20

/** INSERT … RETURNING statements, and the audit entries that must be written in the same batch. */
type Unit = { writes: Statement[]; audits: Statement[] }

/** Each unit in one batch, as many units a batch as fit. Returns the results of the units' writes. */
async function runUnits(db: Db, units: Unit[]): Promise<unknown[]> {
  const results: unknown[] = []
  let batch: Statement[] = []
  let writes: number[] = []
  const flush = async () => {
    if (batch.length === 0) return
    const [first, ...rest] = batch
    const answered = await db.batch([first, ...rest])
    for (const index of writes) results.push(answered[index])
    batch = []
    writes = []
  }
  for (const unit of units) {
    if (batch.length + unit.writes.length + unit.audits.length > STATEMENTS_PER_BATCH) await flush()
    for (const write of unit.writes) writes.push(batch.push(write) - 1)
    batch.push(...unit.audits)
  }
  await flush()
  return results
}

/** Audit rows, from a JSON list of [object id, object repr, message] (one bound parameter). */
function auditRows(db: Db, action: string, objectType: string, rows: [string, string, string][]): Statement {
  return db
    .insert(auditLog)
    .select(
      sql`SELECT NULL, NULL, ${IMPORT_ACTOR}, ${action}, ${objectType}, value ->> 0, value ->> 1, value ->> 2, unixepoch() FROM json_each(${JSON.stringify(rows)})`,
    )
}

/** The audit entries of applications just inserted in the same batch, found by client_id. */
function applicationAudit(db: Db, rows: PlannedApplication[]): Statement {
  const entries = JSON.stringify(rows.map((row) => [row.clientId, row.audit]))
  return db
    .insert(auditLog)
    .select(
      sql`SELECT NULL, NULL, ${IMPORT_ACTOR}, 'application.import', 'application', CAST(${applications.id} AS TEXT), ${applications.name}, entry.value ->> 1, unixepoch() FROM json_each(${entries}) AS entry JOIN ${applications} ON ${applications.clientId} = entry.value ->> 0`,
    )
}

function userUnits(db: Db, plan: Plan): Unit[] {
  return chunks(plan.users, USERS_PER_UNIT).map((chunk) => {
    const privileged = chunk
      .filter((user) => user.isSuperuser || user.isStaff)
      .map((user): [string, string, string] => [
        String(user.id),
        user.username,
        `Imported from Django (${label('auth.user', user.id)}): ${user.isSuperuser ? 'superuser' : 'staff'}${user.isActive ? '' : ', inactive'}`,
      ])
    const audits = privileged.length > 0 ? [auditRows(db, 'user.import', 'user', privileged)] : []
    return { writes: importUserStatements(db, chunk), audits }
  })
}

function applicationUnits(db: Db, plan: Plan): Unit[] {
  return chunks(plan.applications, APPLICATIONS_PER_UNIT).map((chunk) => ({
    writes: importApplicationStatements(
      db,
      chunk.map(({ audit: _, ...application }) => application),
    ),
    audits: [applicationAudit(db, chunk)],
  }))
}

/** The import recorded (by its dump's digest) with the audit entries of the accounts already here it attached to. */
function recordStatements(db: Db, plan: Plan, record: { dumpDigest: string; tokensUntil: number | null }): Statement[] {
  const attached = plan.review.attached.map((account): [string, string, string] => [
    String(account.id),
    account.username,
    `Django's ${label('auth.user', account.djangoId)} attached to this account by --merge; it brought: ${account.brings.join(', ') || 'nothing'}`,
  ])
  return [
    db
      .insert(djangoImports)
      .values({ dumpDigest: record.dumpDigest, completedAt: new Date(), tokensUntil: record.tokensUntil })
      .onConflictDoNothing(),
    ...(attached.length > 0 ? [auditRows(db, 'user.import_attach', 'user', attached)] : []),
  ]
}

const countRows = (results: unknown[]) => (results as unknown[][]).reduce((sum, rows) => sum + rows.length, 0)

/**
 * Writes the plan and records the import; the rows written, per kind. The tokens go to `tokens`, the
 * token shard imported tokens are looked up in (src/tokens/shards.ts), the rest to `db`.
 */
export async function writePlan(
  db: Db,
  plan: Plan,
  record: { dumpDigest: string; tokensUntil: number | null },
  tokens: Db = db,
): Promise<Record<Kind, number>> {
  const users = countRows(await runUnits(db, userUnits(db, plan)))
  const applicationCount = countRows(await runUnits(db, applicationUnits(db, plan)))
  const created = (await runBatched(
    db,
    applicationsByClientIdsQueries(
      db,
      plan.applications.map((application) => application.clientId),
    ),
  )) as { id: number; clientId: string }[][]
  const applicationIds = new Map([
    ...plan.existingApplications,
    ...created.flat().map((row) => [row.clientId, row.id] as const),
  ])
  const tokenRow = <T extends { clientId: string }>({ clientId, ...row }: T) => ({
    ...row,
    applicationId: applicationIds.get(clientId) as number,
  })
  const accessTokens = countRows(
    await runBatched(tokens, importAccessTokenStatements(tokens, plan.accessTokens.map(tokenRow))),
  )
  const refreshTokens = countRows(
    await runBatched(tokens, importRefreshTokenStatements(tokens, plan.refreshTokens.map(tokenRow))),
  )
  const drfKeys = countRows(await runBatched(db, await importApiKeyStatements(db, plan.drfKeys)))
  const [first, ...rest] = recordStatements(db, plan, record)
  await db.batch([first, ...rest])
  return { users, applications: applicationCount, accessTokens, refreshTokens, drfKeys }
}
