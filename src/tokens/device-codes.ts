/**
 * @module
 * Device authorization requests (RFC 8628) in `device_codes`: created at
 * /o/device-authorization/, found by user code at /o/device/ (approve or deny), polled and
 * redeemed at the token endpoint. Both codes are stored as SHA-256 digests only. Redemption is
 * a conditional UPDATE … RETURNING for redeemAndIssueTokens (./issue.ts), so of any number of
 * concurrent polls of an approved code exactly one gets tokens (a one-time credential of ./consumable.ts).
 */
import { and, eq, isNull, lt, lte, or, sql } from 'drizzle-orm'
import type { BatchItem } from 'drizzle-orm/batch'
import { sha256Hex } from '../crypto/digest.ts'
import { randomString } from '../crypto/random.ts'
import type { TokenFormat } from '../crypto/token-format.ts'
import type { Db } from '../db/client.ts'
import { applications, deviceCodes, users } from '../db/schema.ts'
import { parseScope } from '../lib/scope.ts'
import { nowSeconds } from '../lib/time.ts'
import { type Consumable, consumeOnce, findConsumable } from './consumable.ts'

/**
 * RFC 8628 §6.1: consonants only (no vowels, so no words; no I/O/0/1 look-alikes), case
 * insensitive. 20^8 ≈ 2^34.6 codes; with the page's rate limits a guess succeeds with negligible
 * probability within a code's life.
 * @internal Exported for tests: test/standards/device-grant.test.ts checks the codes' shape.
 */
export const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ'
const USER_CODE_LENGTH = 8
const USER_CODE_SHAPE = new RegExp(`^[${USER_CODE_ALPHABET}]{${USER_CODE_LENGTH}}$`)
/** RFC 8628 §3.5: every slow_down adds 5 seconds to the interval, for that and all later polls. */
const SLOW_DOWN_STEP_SECONDS = 5
/**
 * ...up to this (a longer configured interval is kept as it is): past it a device that keeps
 * polling too fast changes nothing, so its polls cost no write.
 * @internal Exported for tests: test/standards/device-grant.test.ts polls past it.
 */
export const MAX_POLL_INTERVAL_SECONDS = 60
// A fresh user code equal to a stored one (live or awaiting cleanup) is drawn again.
const USER_CODE_ATTEMPTS = 5

/** §6.1: what the user typed, compared without case, dashes or spaces. */
function normalizeUserCode(typed: string): string {
  return typed.toUpperCase().replace(/[\s-]+/g, '')
}

/** The user code as shown: XXXX-XXXX. */
function displayUserCode(code: string): string {
  return `${code.slice(0, USER_CODE_LENGTH / 2)}-${code.slice(USER_CODE_LENGTH / 2)}`
}

/** What the user typed, as shown (XXXX-XXXX), or null when it cannot be a user code. */
export function canonicalUserCode(typed: string): string | null {
  const normalized = normalizeUserCode(typed)
  return USER_CODE_SHAPE.test(normalized) ? displayUserCode(normalized) : null
}

function userCodeDigest(normalized: string): Promise<string> {
  return sha256Hex(`user-code:${normalized}`)
}

export type NewDeviceCode = {
  applicationId: number
  scopes: string[]
  lifetime: number
  interval: number
  /** RFC 8707 audience the request named, as stored (src/resource/audiences.ts); null: the default. */
  audience: string | null
}

/** Stores a new pending request; returns the device code and the user code (XXXX-XXXX). */
export async function createDeviceCode(
  db: Db,
  format: TokenFormat,
  input: NewDeviceCode,
): Promise<{ deviceCode: string; userCode: string }> {
  const deviceCode = await format.mint('deviceCode')
  const deviceCodeHash = await sha256Hex(deviceCode)
  for (let attempt = 0; attempt < USER_CODE_ATTEMPTS; attempt++) {
    const userCode = randomString(USER_CODE_LENGTH, USER_CODE_ALPHABET)
    const inserted = await db
      .insert(deviceCodes)
      .values({
        deviceCodeHash,
        userCodeHash: await userCodeDigest(userCode),
        applicationId: input.applicationId,
        scope: input.scopes.join(' '),
        audience: input.audience,
        interval: input.interval,
        expiresAt: nowSeconds() + input.lifetime,
      })
      .onConflictDoNothing()
      .returning({ id: deviceCodes.id })
      .get()
    if (inserted) return { deviceCode, userCode: displayUserCode(userCode) }
  }
  throw new Error('no free user code after several attempts')
}

/** A pending request as the verification page shows it. */
type DeviceRequest = { id: number; applicationName: string; scopes: string[]; resources: string[] }

export type FoundUserCode =
  | { status: 'pending'; request: DeviceRequest }
  | { status: 'expired' }
  /** Already approved, denied or redeemed. */
  | { status: 'used' }
  | { status: 'unknown' }

/** The request a typed user code names. A code of the wrong shape costs no I/O. */
export async function findByUserCode(db: Db, typed: string): Promise<FoundUserCode> {
  const normalized = normalizeUserCode(typed)
  if (!USER_CODE_SHAPE.test(normalized)) return { status: 'unknown' }
  const row = await userCodeQuery(db, await userCodeDigest(normalized)).get()
  if (!row) return { status: 'unknown' }
  if (row.expiresAt <= nowSeconds()) return { status: 'expired' }
  if (row.status !== 'pending') return { status: 'used' }
  return {
    status: 'pending',
    request: {
      id: row.id,
      applicationName: row.applicationName,
      scopes: parseScope(row.scope),
      // As on the consent page: the resources the device named (RFC 8707); none for the default.
      resources: row.audience === null ? [] : row.audience.split(' '),
    },
  }
}

/**
 * The lookup of a request by user code digest.
 * @internal Exported for tests: the query-plan test explains this exact statement.
 */
export function userCodeQuery(db: Db, digest: string) {
  return db
    .select({
      id: deviceCodes.id,
      status: deviceCodes.status,
      scope: deviceCodes.scope,
      audience: deviceCodes.audience,
      expiresAt: deviceCodes.expiresAt,
      applicationName: applications.name,
    })
    .from(deviceCodes)
    .innerJoin(applications, eq(applications.id, deviceCodes.applicationId))
    .where(eq(deviceCodes.userCodeHash, digest))
}

/**
 * Records the user's answer to a pending, unexpired request; false when it is no longer
 * pending (answered in another tab) or expired. One conditional UPDATE: answered once.
 */
export async function decideDeviceCode(
  db: Db,
  id: number,
  decision: { approved: boolean; userId: number; authTime: number },
): Promise<boolean> {
  const updated = await db
    .update(deviceCodes)
    .set({ status: decision.approved ? 'approved' : 'denied', userId: decision.userId, authTime: decision.authTime })
    .where(
      and(eq(deviceCodes.id, id), eq(deviceCodes.status, 'pending'), sql`${deviceCodes.expiresAt} > ${nowSeconds()}`),
    )
    .returning({ id: deviceCodes.id })
    .get()
  return updated !== undefined
}

/** An approved request, ready to be redeemed for tokens. */
export type ApprovedDeviceCode = {
  id: number
  userId: number
  username: string
  isActive: boolean
  /** The user's session generation as read, for the fence of the main database (src/tokens/fences.ts). */
  userGeneration: number
  scopes: string[]
  authTime: number | null
  /** As stored: null for the default audience. */
  audience: string | null
}

export type PolledDeviceCode =
  | { status: 'approved'; grant: ApprovedDeviceCode }
  | { status: 'pending' }
  /** §3.5: polled sooner than `interval` seconds after the last poll; the interval is now this. */
  | { status: 'slow_down'; interval: number }
  | { status: 'denied' }
  | { status: 'expired' }
  /** Unknown, forged, another client's, or already redeemed. */
  | { status: 'invalid' }

/**
 * The lookup of a request by device code digest, with its user.
 * @internal Exported for tests: the query-plan test explains this exact statement.
 */
export function deviceCodeQuery(db: Db, digest: string) {
  return db
    .select({
      code: deviceCodes,
      username: users.username,
      isActive: users.isActive,
      userGeneration: users.sessionGeneration,
    })
    .from(deviceCodes)
    .leftJoin(users, eq(users.id, deviceCodes.userId))
    .where(eq(deviceCodes.deviceCodeHash, digest))
}

type StoredDeviceCode = {
  code: typeof deviceCodes.$inferSelect
  username: string | null
  isActive: boolean | null
  userGeneration: number | null
}

// Approved, then redeemed once; a pending or denied request is not consumable.
const DEVICE_CODES: Consumable<StoredDeviceCode> = {
  kind: 'deviceCode',
  find: (db, digest) => deviceCodeQuery(db, digest).get(),
  state: ({ code }) => ({ consumed: code.status === 'redeemed', expiresAt: code.expiresAt }),
  consume: (db, id) =>
    consumeOnce(
      db,
      deviceCodes,
      { id: deviceCodes.id, expiresAt: deviceCodes.expiresAt, unconsumed: eq(deviceCodes.status, 'approved') },
      { status: 'redeemed' },
      id,
    ),
}

/**
 * A poll of the token endpoint by the client `applicationId` (RFC 8628 §3.4, §3.5), read from
 * `db` alone: the primary, since polling writes and an approval a moment old must be seen.
 */
export async function pollDeviceCode(
  db: Db,
  format: TokenFormat,
  deviceCode: string,
  applicationId: number,
): Promise<PolledDeviceCode> {
  // Device codes live in the main database (shard 0): a user code carries no shard.
  const found = await findConsumable(DEVICE_CODES, format, deviceCode, (shard) =>
    shard === 0 ? { read: db, primary: db } : null,
  )
  // §3.5 / RFC 6749 §5.2: a code issued to another client is invalid_grant, as an unknown one.
  if (found.status === 'unknown' || found.status === 'consumed') return { status: 'invalid' }
  const { row } = found
  if (row.code.applicationId !== applicationId) return { status: 'invalid' }
  if (found.status === 'expired') return { status: 'expired' }
  const { code } = row
  const now = nowSeconds()
  if (code.status === 'denied') return { status: 'denied' }
  if (code.status === 'approved' && code.userId !== null && row.username !== null) {
    return {
      status: 'approved',
      grant: {
        id: code.id,
        userId: code.userId,
        username: row.username,
        isActive: row.isActive ?? false,
        userGeneration: row.userGeneration ?? 0,
        scopes: parseScope(code.scope),
        authTime: code.authTime,
        audience: code.audience,
      },
    }
  }
  return pacePoll(db, code, now)
}

/**
 * A poll of a pending request, at most one write: in time when at least `interval` seconds passed
 * since the last poll let through (one conditional UPDATE decides, so of concurrent polls one
 * passes); otherwise slow_down, and the interval grows by 5 seconds (§3.5) up to
 * MAX_POLL_INTERVAL_SECONDS, where a too-fast poll writes nothing. The row as read decides which
 * statement runs; each re-checks its condition, so a poll that lost a race is only answered
 * slow_down without growing the interval.
 */
async function pacePoll(
  db: Db,
  code: Pick<typeof deviceCodes.$inferSelect, 'id' | 'interval' | 'lastPolledAt'>,
  now: number,
): Promise<PolledDeviceCode> {
  const pending = and(eq(deviceCodes.id, code.id), eq(deviceCodes.status, 'pending'))
  if (code.lastPolledAt === null || code.lastPolledAt <= now - code.interval) {
    const inTime = await db
      .update(deviceCodes)
      .set({ lastPolledAt: now })
      .where(
        and(
          pending,
          or(isNull(deviceCodes.lastPolledAt), lte(deviceCodes.lastPolledAt, sql`${now} - ${deviceCodes.interval}`)),
        ),
      )
      .returning({ id: deviceCodes.id })
      .get()
    return inTime ? { status: 'pending' } : { status: 'slow_down', interval: code.interval }
  }
  if (code.interval >= MAX_POLL_INTERVAL_SECONDS) return { status: 'slow_down', interval: code.interval }
  const slowed = await db
    .update(deviceCodes)
    .set({ interval: sql`min(${deviceCodes.interval} + ${SLOW_DOWN_STEP_SECONDS}, ${MAX_POLL_INTERVAL_SECONDS})` })
    .where(and(pending, lt(deviceCodes.interval, MAX_POLL_INTERVAL_SECONDS)))
    .returning({ interval: deviceCodes.interval })
    .get()
  return { status: 'slow_down', interval: slowed?.interval ?? code.interval }
}

/**
 * The redemption of an approved request for redeemAndIssueTokens (./issue.ts), in the main
 * database (shard 0, where device codes and their tokens live): matches once, while unexpired.
 */
export function markDeviceCodeRedeemed(db: Db, id: number): BatchItem<'sqlite'> {
  return DEVICE_CODES.consume(db, id)
}
