/**
 * What the operator sees of an import: every application it creates is in the audit log (written
 * in the import's own batches); the clients whose secret came as a slow Django hash are listed,
 * and their plaintexts, when the operator has them, replace the hash by this server's digest (at
 * the import or later); running the import again prints the IMPORTED_TOKENS_UNTIL it printed
 * first; imported DOT tokens are shown as what they are in the console.
 */
import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { sha256Hex } from '../../src/crypto/digest.ts'
import { applications, auditLog, users } from '../../src/db/schema.ts'
import { restoreClientSecrets, slowSecretClients } from '../../src/import/client-secrets.ts'
import { importDjangoDump, type Summary } from '../../src/import/django.ts'
import { DumpError } from '../../src/import/dump.ts'
import { formatSummary } from '../../src/import/summary.ts'
import { sessionOf } from '../console/admin-helpers.ts'
import dot341 from '../fixtures/django/dot-3.4.1/dump.json'
import secrets from '../fixtures/django/dot-3.4.1/secrets.json'
import { basic, db, form, getPage, postToken } from '../helpers.ts'
import { liveDump, REFRESH_LIFETIME, SLOW, snapshot } from './dumps.ts'

const { data, now } = liveDump(structuredClone(dot341))
const cc = secrets.clients.client_credentials
const password = secrets.clients.password
const code = secrets.clients.authorization_code

const grant = (clientId: string, clientSecret: string) =>
  postToken(form({ grant_type: 'client_credentials' }), { Authorization: basic(clientId, clientSecret) })

const auditOfClient = async (clientId: string) => {
  const app = await db.select().from(applications).where(eq(applications.clientId, clientId)).get()
  return db
    .select()
    .from(auditLog)
    .where(eq(auditLog.objectId, String(app?.id)))
    .then((rows) => rows.filter((row) => row.objectType === 'application'))
}

describe('import-django of dot-3.4.1, as the operator sees it', () => {
  let summary: Summary

  it('a secret in the file that is not the client’s refuses the whole import, naming the client', SLOW, async () => {
    const before = await snapshot()
    const error = await importDjangoDump(db, data, {
      now,
      refreshLifetime: REFRESH_LIFETIME,
      clientSecrets: { [cc.client_id]: 'not-its-secret' },
    }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DumpError)
    expect((error as DumpError).problems.join('\n')).toContain(
      `"${cc.client_id}": the secret given for it in the client secrets file does not match`,
    )
    expect(await snapshot()).toEqual(before)
  })

  it(
    'the summary lists every client whose secret is a slow Django hash, and how to rotate or re-store it',
    SLOW,
    async () => {
      summary = await importDjangoDump(db, data, {
        now,
        refreshLifetime: REFRESH_LIFETIME,
        // The operator has one plaintext: that client is stored with this server's digest at once.
        clientSecrets: { [cc.client_id]: cc.client_secret },
      })
      expect(summary.slowSecrets).toEqual([
        { clientId: password.client_id, hasher: 'pbkdf2_sha256, 1,000,000 iterations' },
        { clientId: code.client_id, hasher: 'pbkdf2_sha256, 1,000,000 iterations' },
      ])
      const text = formatSummary(summary, { dryRun: false })
      expect(text).toContain(`${password.client_id} (pbkdf2_sha256, 1,000,000 iterations)`)
      expect(text).toContain('--client-secrets')
      const row = await db.select().from(applications).where(eq(applications.clientId, cc.client_id)).get()
      expect(row?.djangoClientSecret).toBeNull()
      expect(row?.clientSecretHash).toBe(await sha256Hex(cc.client_secret))
      expect((await grant(cc.client_id, cc.client_secret)).status).toBe(200)
    },
  )

  it('L-1: every application the import created is audited: client type, grants, redirect URIs, skip, owner, secret', async () => {
    const [entry] = await auditOfClient(code.client_id)
    expect(entry).toMatchObject({
      actorId: null,
      actorUsername: 'manage import-django',
      action: 'application.import',
      objectRepr: 'peer authorization-code client',
    })
    expect(entry.message).toContain('confidential')
    expect(entry.message).toContain('authorization-code')
    expect(entry.message).toContain('redirect URIs: http://127.0.0.1:9/cb')
    expect(entry.message).toContain('skip_authorization: off')
    expect(entry.message).toContain('owner: alice')
    expect(entry.message).toContain('secret: kept as Django’s hash (pbkdf2_sha256)')
    const [ccEntry] = await auditOfClient(cc.client_id)
    expect(ccEntry.message).toContain('secret: stored as this server’s digest, from the client secrets file')
    // The device client is public: it has no secret.
    const [device] = await auditOfClient(secrets.clients.device.client_id)
    expect(device.message).toContain('secret: none (public client)')
  })

  it(
    'later, the clients still holding a Django hash are listed, and a file of plaintexts re-stores them',
    SLOW,
    async () => {
      expect((await slowSecretClients(db)).map((client) => client.clientId)).toEqual([
        password.client_id,
        code.client_id,
      ])
      const wrong = await restoreClientSecrets(db, { [code.client_id]: 'wrong' }).catch((e: unknown) => e)
      expect(wrong).toBeInstanceOf(DumpError)
      expect((await slowSecretClients(db)).length).toBe(2)

      const restored = await restoreClientSecrets(db, { [password.client_id]: password.client_secret })
      expect(restored).toEqual([password.client_id])
      expect((await slowSecretClients(db)).map((client) => client.clientId)).toEqual([code.client_id])
      const row = await db.select().from(applications).where(eq(applications.clientId, password.client_id)).get()
      expect(row?.clientSecretHash).toBe(await sha256Hex(password.client_secret))
      expect(row?.djangoClientSecret).toBeNull()
      const entries = await auditOfClient(password.client_id)
      expect(entries.map((entry) => entry.action)).toContain('application.restore_secret')
    },
  )

  it('running the import again prints the IMPORTED_TOKENS_UNTIL it printed first, not a new one', async () => {
    const later = await importDjangoDump(db, data, { now: now + 3600, refreshLifetime: REFRESH_LIFETIME })
    expect(later.importedBefore).toBeInstanceOf(Date)
    expect(later.tokensUntil).toBe(summary.tokensUntil)
    const text = formatSummary(later, { dryRun: false })
    expect(text).toContain(new Date((summary.tokensUntil ?? 0) * 1000).toISOString())
  })

  it("the console shows an imported token as django-oauth-toolkit's, never with this server's eat_ prefix", async () => {
    const { cookie } = await sessionOf('superuser')
    const bob = await db.select().from(users).where(eq(users.username, 'bob')).get()
    const page = await (await getPage(`/admin/users/${bob?.id}/`, cookie)).text()
    expect(page).toContain('django-oauth-toolkit')
    expect(page).not.toContain('eat_…')
    expect(page).not.toContain('ert_…')
  })
})
