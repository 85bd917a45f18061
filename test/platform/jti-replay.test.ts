/**
 * The replay store of one-time JWTs (src/tokens/replay.ts), on its own: what client assertions
 * and ID-JAGs use, alone (`recordJtiUse`) or spent by the token write they allow
 * (`jtiStillUnused`, `recordJtiUseIf`, in issueTokensIf's batch with an audit row).
 */
import { env } from 'cloudflare:test'
import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { auditStatementIf } from '../../src/accounts/audit.ts'
import { issueTokensIf } from '../../src/tokens/issue.ts'
import { jtiKey, jtiStillUnused, jtiWasUsed, recordJtiUse, recordJtiUseIf } from '../../src/tokens/replay.ts'
import { db, makeApplication, testStore, unique } from '../helpers.ts'

const NOW = Math.floor(Date.now() / 1000)

function use(jti: string, issuer = 'client-a', expiresAt = NOW + 60) {
  return { purpose: 'client_assertion' as const, issuer, jti, expiresAt }
}

describe('recordJtiUse', () => {
  it('true the first time, false for every copy until the JWT expires', async () => {
    const jti = unique('jti')
    expect(await recordJtiUse(db, use(jti), NOW)).toBe(true)
    expect(await recordJtiUse(db, use(jti), NOW)).toBe(false)
    expect(await recordJtiUse(db, use(jti), NOW + 59)).toBe(false)
  })

  it('the same jti from another issuer is another JWT', async () => {
    const jti = unique('jti')
    expect(await recordJtiUse(db, use(jti, 'client-a'), NOW)).toBe(true)
    expect(await recordJtiUse(db, use(jti, 'client-b'), NOW)).toBe(true)
  })

  it('a record past its JWT’s exp (not yet cleaned up) no longer counts', async () => {
    const jti = unique('jti')
    expect(await recordJtiUse(db, use(jti, 'client-a', NOW + 10), NOW)).toBe(true)
    expect(await recordJtiUse(db, use(jti, 'client-a', NOW + 100), NOW + 10)).toBe(true)
    expect(await recordJtiUse(db, use(jti, 'client-a', NOW + 100), NOW + 11)).toBe(false)
  })

  it('of concurrent uses of one jti, exactly one is the first', async () => {
    const jti = unique('jti')
    const results = await Promise.all(Array.from({ length: 20 }, () => recordJtiUse(db, use(jti), NOW)))
    expect(results.filter(Boolean)).toHaveLength(1)
  })
})

describe('a jti spent by the token write it allows (jtiStillUnused, recordJtiUseIf)', () => {
  async function issue(jti: string, facts = sql`1`) {
    const app = await makeApplication({ grantTypes: ['client-credentials'] })
    const key = await jtiKey({ purpose: 'id_jag', issuer: 'https://idp.example', jti, expiresAt: NOW + 60 })
    const store = testStore()
    const issued = await issueTokensIf(
      store,
      {
        userId: null,
        username: null,
        applicationId: app.id,
        clientId: app.clientId,
        scopes: ['read'],
        accessLifetime: 60,
        refreshLifetime: null,
      },
      undefined,
      {
        also: sql`${facts} AND ${jtiStillUnused(key, NOW)}`,
        alongside: ({ written, accessTokenId }) => [
          recordJtiUseIf(store.db, key, written, NOW),
          auditStatementIf(
            store.db,
            { id: null, username: 'test' },
            { action: 'test.spend', objectType: 'token', objectId: accessTokenId, objectRepr: jti },
            written,
          ),
        ],
      },
    )
    const audit = await env.DB.prepare(
      "SELECT object_id FROM audit_log WHERE action = 'test.spend' AND object_repr = ?",
    )
      .bind(jti)
      .all<{ object_id: string }>()
    return { issued, key, audit: audit.results }
  }

  it('written with the token: recorded, audited with the token’s id; a second write for it writes nothing', async () => {
    const jti = unique('jti')
    const first = await issue(jti)
    expect(first.issued).not.toBeNull()
    expect(await jtiWasUsed(db, first.key, NOW)).toBe(true)
    const token = await env.DB.prepare('SELECT max(id) AS id FROM access_tokens').first<{ id: number }>()
    expect(first.audit).toEqual([{ object_id: String(token?.id) }])
    const second = await issue(jti)
    expect(second.issued).toBeNull()
    expect(second.audit).toHaveLength(1)
  })

  it('a write whose facts no longer hold: no token, the jti not spent, no audit row', async () => {
    const jti = unique('jti')
    const stale = await issue(jti, sql`0`)
    expect(stale.issued).toBeNull()
    expect(await jtiWasUsed(db, stale.key, NOW)).toBe(false)
    expect(stale.audit).toEqual([])
    expect((await issue(jti)).issued).not.toBeNull()
  })
})
