/**
 * The three real Django dumps (test/fixtures/django, made by the software itself: see its README)
 * and the checks every one of them must pass once imported, over HTTP as clients see it.
 */
import { eq } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { sha256Hex } from '../../src/crypto/digest.ts'
import { randomString } from '../../src/crypto/random.ts'
import { accessTokens, apiKeys, applications, refreshTokens, users } from '../../src/db/schema.ts'
import { importDjangoDump, type Summary } from '../../src/import/django.ts'
import { d1QueryCount, kvReadCount } from '../counting.ts'
import { basic, db, fetchWithSettings, form, importedTokensDb, postForm, tokenFormat } from '../helpers.ts'

export type Secrets = {
  users: Record<string, string | null>
  clients: Record<string, { client_id: string; client_secret: string | null }>
  tokens: Record<string, { access_token: string; refresh_token?: string; scope: string }>
  drf_keys: Record<string, string>
}

type Record_ = { model: string; pk: unknown; fields: Record<string, unknown> }

const HOUR = 3600
export const REFRESH_LIFETIME = 1_209_600
// Logins check 260,000- and 1,000,000-iteration PBKDF2 hashes in pure JS, padded to the login time floor.
export const SLOW = { timeout: 120_000 }

/**
 * The dump as if its tokens had been issued a minute ago (they were issued on 2026-11-28 with a day
 * to live): every timestamp moves by the same amount. Then the client_credentials token (pk 3) is
 * made one that expired an hour ago, to check that an expired token stays expired.
 */
export function liveDump(dump: Record_[]): { data: Record_[]; now: number } {
  const now = Math.floor(Date.now() / 1000)
  const issued = Math.min(
    ...dump
      .filter((record) => record.model === 'oauth2_provider.accesstoken')
      .map((record) => Date.parse(record.fields.created as string) / 1000),
  )
  const shift = (now - 60 - issued) * 1000
  const move = (value: unknown) =>
    typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value)
      ? new Date(Date.parse(value) + shift).toISOString()
      : value
  const data = dump.map((record) => {
    const fields = Object.fromEntries(Object.entries(record.fields).map(([name, value]) => [name, move(value)]))
    if (record.model === 'oauth2_provider.accesstoken' && record.pk === 3) {
      fields.expires = new Date((now - HOUR) * 1000).toISOString()
    }
    return { ...record, fields }
  })
  return { data, now }
}

/** Every row of the tables the import writes, to compare before and after. */
export async function snapshot() {
  return {
    users: await db.select().from(users).orderBy(users.id),
    applications: await db.select().from(applications).orderBy(applications.id),
    accessTokens: await importedTokensDb().select().from(accessTokens).orderBy(accessTokens.id),
    refreshTokens: await importedTokensDb().select().from(refreshTokens).orderBy(refreshTokens.id),
    apiKeys: await db.select().from(apiKeys).orderBy(apiKeys.id),
  }
}

const hello = (authorization: string, settings: Record<string, string | undefined>) =>
  fetchWithSettings(
    new Request('https://example.com/api/hello', { headers: { Authorization: authorization } }),
    settings,
  )

const NO_LOOKUP = { status: 401, d1: 0, kvReads: 0 }

/** What one /api/hello call answers and costs in D1 queries and KV reads. */
async function costOf(authorization: string, settings: Record<string, string | undefined>) {
  const [queries, reads] = [d1QueryCount(), kvReadCount()]
  const response = await hello(authorization, settings)
  await response.body?.cancel()
  return { status: response.status, d1: d1QueryCount() - queries, kvReads: kvReadCount() - reads }
}

const tokenRequest = (values: Record<string, string>, headers: Record<string, string> = {}) =>
  new Request('https://example.com/o/token/', {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: form(values),
  })

/** The checks every real dump must pass after its import. */
export function describeImportedDump(name: string, dump: Record_[], secrets: Secrets) {
  describe(`import-django: ${name}, then over HTTP`, () => {
    let summary: Summary
    let window: Record<string, string>
    const { data, now } = liveDump(dump)
    const password = (user: string) => secrets.users[user] as string
    const client = secrets.clients.password
    const token = (label: string) => {
      const found = Object.entries(secrets.tokens).find(([key]) => key.startsWith(label))
      if (!found) throw new Error(`no token ${label} in secrets.json`)
      return found[1]
    }

    beforeAll(async () => {
      // The tokens go to the token shard the Worker looks them up in, as `manage import-django` sends them.
      summary = await importDjangoDump(db, data, { now, refreshLifetime: REFRESH_LIFETIME, tokens: importedTokensDb() })
      // What the import tells the operator to set.
      expect(summary.tokensUntil).not.toBeNull()
      window = { IMPORTED_TOKENS_UNTIL: new Date((summary.tokensUntil ?? 0) * 1000).toISOString() }
    }, SLOW.timeout)

    it('writes every user, client, live token and DRF key, and reports the expired token as skipped', () => {
      // Every client, the public device-grant client of DOT 3 too.
      const clients = Object.keys(secrets.clients).length
      expect(summary.written).toEqual({
        users: Object.keys(secrets.users).length,
        applications: clients,
        accessTokens: Object.keys(secrets.tokens).length - 1,
        refreshTokens: Object.values(secrets.tokens).filter((t) => t.refresh_token).length,
        drfKeys: Object.keys(secrets.drf_keys).length,
      })
      expect(summary.skipped).toContainEqual({ kind: 'access tokens', count: 1, reason: 'expired' })
    })

    it("carries over Django's user fields: flags, names, email, date joined; the username as Django stored it", async () => {
      const rows = await db.select().from(users).orderBy(users.id)
      const source = data.filter((record) => record.model === 'auth.user')
      expect(rows.map((row) => row.username)).toEqual(source.map((record) => record.fields.username))
      for (const record of source) {
        const row = rows.find((r) => r.username === record.fields.username)
        expect(row).toMatchObject({
          email: record.fields.email,
          isActive: record.fields.is_active,
          isStaff: record.fields.is_staff,
          isSuperuser: record.fields.is_superuser,
          firstName: record.fields.first_name,
          lastName: record.fields.last_name,
          lastLogin: null,
        })
        expect(row?.dateJoined.getTime()).toBe(
          Math.floor(Date.parse(record.fields.date_joined as string) / 1000) * 1000,
        )
      }
    })

    it('every active user logs in at /accounts/login/ with their Django password', SLOW, async () => {
      for (const user of ['alice', 'bob']) {
        const response = await postForm('/accounts/login/', { username: user, password: password(user) })
        expect(response.status, user).toBe(302)
        expect(response.headers.get('Set-Cookie')).toMatch(/^__Host-eot_session=/)
      }
    })

    it('an inactive user (carol) and an unusable password (dave, `!…`) do not log in', SLOW, async () => {
      const carol = await postForm('/accounts/login/', { username: 'carol', password: 'carol-password-1' })
      expect(carol.status).toBe(400)
      expect(carol.headers.get('Set-Cookie')).toBeNull()
      const dave = await db.select().from(users).where(eq(users.username, 'dave')).get()
      expect(dave?.password.startsWith('!')).toBe(true)
      const response = await postForm('/accounts/login/', { username: 'dave', password: dave?.password ?? '' })
      expect(response.status).toBe(400)
      expect(response.headers.get('Set-Cookie')).toBeNull()
    })

    it(
      'RFC 6749 §4.3: every active user gets a token by the password grant, through the imported client and its old secret',
      SLOW,
      async () => {
        for (const user of ['alice', 'bob']) {
          const response = await fetchWithSettings(
            tokenRequest(
              { grant_type: 'password', username: user, password: password(user) },
              { Authorization: basic(client.client_id, client.client_secret ?? '') },
            ),
            {},
          )
          expect(response.status, user).toBe(200)
          const body = await response.json<{ access_token: string }>()
          expect(await tokenFormat.isWellFormed(body.access_token, 'access')).toBe(true)
        }
      },
    )

    it(
      'RFC 6749 §2.3.1: every imported confidential client authenticates with its old secret, and not with another',
      SLOW,
      async () => {
        const cc = secrets.clients.client_credentials
        const granted = await fetchWithSettings(
          tokenRequest(
            { grant_type: 'client_credentials' },
            { Authorization: basic(cc.client_id, cc.client_secret ?? '') },
          ),
          {},
        )
        expect(granted.status).toBe(200)
        // The code client: authenticated, so the made-up code is what is refused (not the client).
        const code = secrets.clients.authorization_code
        const redeemed = await fetchWithSettings(
          tokenRequest(
            { grant_type: 'authorization_code', code: 'no-such-code', redirect_uri: 'http://127.0.0.1:9/cb' },
            { Authorization: basic(code.client_id, code.client_secret ?? '') },
          ),
          {},
        )
        expect(redeemed.status).toBe(400)
        expect((await redeemed.json<{ error: string }>()).error).toBe('invalid_grant')
        for (const { client_id, client_secret } of [cc, code, client]) {
          const wrong = await fetchWithSettings(
            tokenRequest(
              { grant_type: 'client_credentials' },
              { Authorization: basic(client_id, `${client_secret}x`) },
            ),
            {},
          )
          expect(wrong.status, client_id).toBe(401)
          expect(wrong.headers.get('WWW-Authenticate')).toMatch(/^Basic/)
        }
      },
    )

    it("a client's old secret is re-stored as the fast digest at its first use, and keeps working", async () => {
      const cc = secrets.clients.client_credentials
      for (let i = 0; i < 2; i++) {
        const response = await fetchWithSettings(
          tokenRequest(
            { grant_type: 'client_credentials' },
            { Authorization: basic(cc.client_id, cc.client_secret ?? '') },
          ),
          {},
        )
        expect(response.status).toBe(200)
      }
      const row = await db.select().from(applications).where(eq(applications.clientId, cc.client_id)).get()
      expect(row?.djangoClientSecret).toBeNull()
      expect(row?.clientSecretHash).toBe(await sha256Hex(cc.client_secret ?? ''))
    })

    it('RFC 6750 §2.1: every live imported access token works at /api/hello, while IMPORTED_TOKENS_UNTIL lies ahead', async () => {
      for (const label of ['alice', 'bob']) {
        const response = await hello(`Bearer ${token(label).access_token}`, window)
        expect(response.status, label).toBe(200)
      }
    })

    it('imported tokens keep their expiry, and are refused before any lookup without IMPORTED_TOKENS_UNTIL or after it', async () => {
      const alice = token('alice').access_token
      const source = data.find((r) => r.model === 'oauth2_provider.accesstoken' && r.pk === 1)
      const row = await importedTokensDb()
        .select()
        .from(accessTokens)
        .where(eq(accessTokens.tokenHash, (source?.fields.token_checksum as string) ?? (await sha256Hex(alice))))
        .get()
      expect(row?.expiresAt).toBe(Math.floor(Date.parse(source?.fields.expires as string) / 1000))
      const past = { IMPORTED_TOKENS_UNTIL: new Date(Date.now() - 1000).toISOString() }
      for (const settings of [{}, past]) expect(await costOf(`Bearer ${alice}`, settings)).toEqual(NO_LOOKUP)
      // The trade while the window is open: a made-up token of DOT's shape costs its lookup (once; then the negative cache).
      const madeUp = await costOf(`Bearer ${randomString(30)}`, { ...window, TOKEN_NEGATIVE_CACHE_SECONDS: '60' })
      expect(madeUp.status).toBe(401)
      expect(madeUp.d1).toBeGreaterThan(0)
    })

    it('an access token that had expired in Django stays expired (401)', async () => {
      const response = await hello(`Bearer ${token('client_credentials').access_token}`, window)
      expect(response.status).toBe(401)
      expect(response.headers.get('WWW-Authenticate')).toMatch(/^Bearer/)
    })

    it("every DRF key works at /api/hello with DRF's `Token` scheme", async () => {
      for (const [user, key] of Object.entries(secrets.drf_keys)) {
        expect((await hello(`Token ${key}`, {})).status, user).toBe(200)
      }
    })

    it('RFC 6749 §6: an imported refresh token refreshes, into tokens of our own format', async () => {
      const bob = token('bob')
      const response = await fetchWithSettings(
        tokenRequest(
          { grant_type: 'refresh_token', refresh_token: bob.refresh_token ?? '' },
          { Authorization: basic(client.client_id, client.client_secret ?? '') },
        ),
        window,
      )
      expect(response.status).toBe(200)
      const body = await response.json<{ access_token: string; scope: string }>()
      expect(body.scope).toBe(bob.scope)
      expect(await tokenFormat.isWellFormed(body.access_token, 'access')).toBe(true)
      expect((await hello(`Bearer ${body.access_token}`, {})).status).toBe(200)
    })

    it(
      'importing the same dump again changes nothing, nor brings back the token rotated since (above)',
      SLOW,
      async () => {
        const before = await snapshot()
        const again = await importDjangoDump(db, data, {
          now: now + 60,
          refreshLifetime: REFRESH_LIFETIME,
          tokens: importedTokensDb(),
        })
        expect(again.importedBefore).toBeInstanceOf(Date)
        expect(again.written).toEqual({ users: 0, applications: 0, accessTokens: 0, refreshTokens: 0, drfKeys: 0 })
        // The window it asked for the first time, not one counted from this run.
        expect(again.tokensUntil).toBe(summary.tokensUntil)
        expect(await snapshot()).toEqual(before)
      },
    )
  })
}
