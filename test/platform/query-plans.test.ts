/**
 * Every hot query is answered through an index: `EXPLAIN QUERY PLAN` shows no full table scan.
 * Add a query here as one line of `HOT_QUERIES`. The unfiltered users-list page does scan, in
 * id order up to OFFSET + LIMIT rows; `KNOWN_SCANS` pins its plan and says why that is acceptable.
 */
import { env } from 'cloudflare:test'
import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { slowestArgon2HashQuery, slowestLegacyHashQuery } from '../../src/accounts/password-timing.ts'
import { type UserOrderKey, userListQueries, userSearch } from '../../src/accounts/user-list.ts'
import { accessTokens, applications } from '../../src/db/schema.ts'
import { type ApplicationOrderKey, applicationSearch, slowestClientSecretQuery } from '../../src/oauth/applications.ts'
import { unusedRegistrationsBatch } from '../../src/oauth/registration.ts'
import { accessTokenQuery } from '../../src/tokens/access-tokens.ts'
import { expiredBatch } from '../../src/tokens/cleanup.ts'
import { deviceCodeQuery, userCodeQuery } from '../../src/tokens/device-codes.ts'
import { liveGrantQuery, type TokenFilters, tokenListQueries } from '../../src/tokens/lists.ts'
import { familyAccessTokenIds } from '../../src/tokens/refresh-tokens.ts'
import { db } from '../helpers.ts'

type Query = { toSQL(): { sql: string; params: unknown[] } }

const DIGEST = 'a'.repeat(64)
const NOW = 1_700_000_000
const PAGE_SIZE = 20

/** A users list page's two statements (src/db/paging.ts): its count, and page `page`. */
function userListPage(filters: Parameters<typeof userListQueries>[1], page: number) {
  const { count, rows } = userListQueries(db, filters)
  return [count, rows({ limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE })] as const
}

const [filteredCount, filteredPage] = userListPage({ email: 'a@example.com' }, 3)
const [byUsernameCount, byUsernamePage] = userListPage({ username: 'alice' }, 1)
const [bothCount, bothPage] = userListPage({ email: 'a@example.com', username: 'alice' }, 1)
const [unfilteredCount, unfilteredPage] = userListPage({}, 3)

/**
 * The console's token list (src/tokens/lists.ts) as each token database reads it: its count and
 * first page, newest first or by expiry (the names come from the main database afterwards).
 */
function consoleTokens(filters: TokenFilters, key: 'id' | 'expires' = 'id') {
  const { count, upTo } = tokenListQueries(filters, { key, descending: key === 'id' })
  return { count: count(db), page: upTo(db, PAGE_SIZE) }
}

const consoleTokenQueries = Object.fromEntries(
  (['access', 'refresh'] as const).flatMap((kind) => {
    const byUser = consoleTokens({ kind, userId: 1 })
    const byApplication = consoleTokens({ kind, applicationId: 1 })
    const live = consoleTokens({ kind, state: 'live' }, 'expires')
    const soon = consoleTokens({ kind, expiresWithin: 86_400 })
    return [
      [`console ${kind} tokens expiring within a day: count`, soon.count],
      [`console ${kind} tokens expiring within a day: page`, soon.page],
      [`console ${kind} tokens by user: count`, byUser.count],
      [`console ${kind} tokens by user: page`, byUser.page],
      [`console ${kind} tokens by application: count`, byApplication.count],
      [`console ${kind} tokens by application: page`, byApplication.page],
      [`console live ${kind} tokens by expiry: count`, live.count],
      [`console live ${kind} tokens by expiry: page`, live.page],
    ]
  }),
)

/** A console list sorted one way (`?o=`), unfiltered: page 3. */
const sortedUsers = (key: UserOrderKey) =>
  userSearch(db, '', { key, descending: false }).rows({ limit: PAGE_SIZE, offset: 2 * PAGE_SIZE })
const sortedApplications = (key: ApplicationOrderKey) =>
  applicationSearch(db, '', { key, descending: true }).rows({ limit: PAGE_SIZE, offset: 2 * PAGE_SIZE })
const SORTED_WALK = 'walks the index in the order asked and stops after OFFSET + LIMIT rows: no sort of the table'
const OWNERS = ['SEARCH users USING INTEGER PRIMARY KEY (rowid=?) LEFT-JOIN']

const HOT_QUERIES: Record<string, Query> = {
  ...consoleTokenQueries,
  'access token lookup by digest': accessTokenQuery(db, DIGEST),
  "consent skip: the user's live grants to an application": liveGrantQuery(db, 1, 1),
  'device grant: a poll, by device code digest': deviceCodeQuery(db, DIGEST),
  'device page: a typed user code, by digest': userCodeQuery(db, DIGEST),
  "family revocation: a refresh token family's access tokens": familyAccessTokenIds(db, 1),
  'cleanup: expired access tokens': expiredBatch(db, 'accessTokens', NOW, 500),
  'cleanup: expired refresh tokens': expiredBatch(db, 'refreshTokens', NOW, 500),
  'cleanup: expired authorization codes': expiredBatch(db, 'authorizationCodes', NOW, 500),
  'cleanup: unused registered clients': unusedRegistrationsBatch(db, NOW, 200),
  'cleanup: unused clients from metadata documents': unusedRegistrationsBatch(
    db,
    NOW,
    200,
    applications.metadataDocumentFreshUntil,
  ),
  'cleanup: expired device codes': expiredBatch(db, 'deviceCodes', NOW, 500),
  'users list by email: count': filteredCount,
  'users list by email: page': filteredPage,
  'users list by username: count': byUsernameCount,
  'users list by username: page': byUsernamePage,
  'users list by email and username: count': bothCount,
  'users list by email and username: page': bothPage,
  'users list, unfiltered: count (the trigger-kept row)': unfilteredCount,
  'login time floor: the slowest stored PBKDF2 hash (every password check)': slowestLegacyHashQuery(db),
  'login time floor: the dearest imported argon2 hash (every password check)': slowestArgon2HashQuery(db),
  'failed client authentication: the slowest imported Django client secret': slowestClientSecretQuery(db),
}

/** Queries that scan: the plan each must keep, and why that plan is acceptable. */
const KNOWN_SCANS: Record<string, { query: Query; plan: string[]; why: string }> = {
  'users list, unfiltered: page': {
    query: unfilteredPage,
    plan: ['SCAN users'],
    why: 'walks the primary key in id order and stops after OFFSET + LIMIT rows (as any offset pagination)',
  },
  'console users list by username': {
    query: sortedUsers('username'),
    plan: ['SCAN users USING INDEX users_username_unique'],
    why: SORTED_WALK,
  },
  'console users list by email': {
    query: sortedUsers('email'),
    plan: ['SCAN users USING INDEX users_email_idx'],
    why: SORTED_WALK,
  },
  'console users list by date joined': {
    query: sortedUsers('joined'),
    plan: ['SCAN users USING INDEX users_date_joined_idx'],
    why: SORTED_WALK,
  },
  'console applications list, newest first': {
    query: sortedApplications('created'),
    plan: ['SCAN applications USING INDEX applications_created_at_idx', ...OWNERS],
    why: SORTED_WALK,
  },
  'console applications list by name': {
    query: sortedApplications('name'),
    plan: ['SCAN applications USING INDEX applications_name_idx', ...OWNERS],
    why: SORTED_WALK,
  },
  'console access tokens, unfiltered, newest first': {
    query: consoleTokens({ kind: 'access' }).page,
    plan: ['SCAN access_tokens'],
    why: 'walks the primary key backwards and stops after LIMIT rows',
  },
  'console refresh tokens, unfiltered, by expiry': {
    query: consoleTokens({ kind: 'refresh' }, 'expires').page,
    plan: ['SCAN refresh_tokens USING INDEX refresh_tokens_expires_at_idx'],
    why: 'walks the index in the order asked and stops after LIMIT rows: no sort of the table',
  },
}

/** The plan's lines, e.g. `SEARCH access_tokens USING INDEX …` or `SCAN users`. */
async function queryPlan(query: Query): Promise<string[]> {
  const { sql, params } = query.toSQL()
  const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
    .bind(...params)
    .all<{ detail: string }>()
  return results.map((row) => row.detail)
}

describe('EXPLAIN QUERY PLAN of the hot queries', () => {
  for (const [name, query] of Object.entries(HOT_QUERIES)) {
    it(`${name}: no table scan`, async () => {
      const plan = await queryPlan(query)
      expect(plan.length).toBeGreaterThan(0)
      // `SCAN <table>` reads every row; SEARCH uses an index or the primary key.
      expect(plan.filter((line) => /^SCAN (?!CONSTANT ROW)/.test(line))).toEqual([])
    })
  }

  for (const [name, { query, plan, why }] of Object.entries(KNOWN_SCANS)) {
    it(`${name}: ${why}`, async () => {
      expect(await queryPlan(query)).toEqual(plan)
    })
  }

  it('the check itself catches a scan (an unindexed column)', async () => {
    const plan = await queryPlan(db.select().from(accessTokens).where(eq(accessTokens.scope, 'read')))
    expect(plan.some((line) => line.startsWith('SCAN access_tokens'))).toBe(true)
  })
})
