/**
 * An account or application already here is never taken for the dump's by its name alone: a user
 * or client_id the database holds is a clash, which stops the import, unless the operator asks for a
 * merge (`--merge`); and the dry run and the summary name every superuser, staff user,
 * skip_authorization application and DRF key the import would create, or attach to an account
 * already here (issue 22, L-3). Django's user ids are kept (they are the OIDC `sub`), so an id held
 * here by anyone else is a clash too.
 */
import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { createUser } from '../../src/accounts/users.ts'
import { sha256Hex } from '../../src/crypto/digest.ts'
import { apiKeys, applications, auditLog, users } from '../../src/db/schema.ts'
import { importDjangoDump } from '../../src/import/django.ts'
import { DumpError, parseDump } from '../../src/import/dump.ts'
import { planImport } from '../../src/import/plan.ts'
import { formatSummary } from '../../src/import/summary.ts'
import { writePlan } from '../../src/import/write.ts'
import dot341 from '../fixtures/django/dot-3.4.1/dump.json'
import { api, db, makeApplication, unique } from '../helpers.ts'
import { liveDump, REFRESH_LIFETIME, SLOW, snapshot } from './dumps.ts'

type Record_ = { model: string; pk: unknown; fields: Record<string, unknown> }

const NOW = Math.floor(Date.now() / 1000)
const iso = (date: Date) => date.toISOString()

function djangoUser(pk: number, username: string, dateJoined: Date, flags: { superuser?: boolean; staff?: boolean }) {
  return {
    model: 'auth.user',
    pk,
    fields: {
      password: '!unusable',
      last_login: null,
      is_superuser: flags.superuser ?? false,
      username,
      first_name: '',
      last_name: '',
      email: '',
      is_staff: flags.staff ?? false,
      is_active: true,
      date_joined: iso(dateJoined),
    },
  }
}

function djangoApplication(pk: number, clientId: string, owner: number | null, skip: boolean): Record_ {
  const created = iso(new Date())
  return {
    model: 'oauth2_provider.application',
    pk,
    fields: {
      client_id: clientId,
      user: owner,
      redirect_uris: 'https://attacker.example/cb',
      client_type: 'confidential',
      authorization_grant_type: 'authorization-code',
      client_secret: 'a-secret-in-clear-as-dot-1-kept-it',
      name: `App ${clientId}`,
      skip_authorization: skip,
      created,
      updated: created,
    },
  }
}

const randomKey = () =>
  [...crypto.getRandomValues(new Uint8Array(20))].map((b) => b.toString(16).padStart(2, '0')).join('')

const drfKey = (key: string, user: number): Record_ => ({
  model: 'authtoken.token',
  pk: key,
  fields: { user, created: iso(new Date()) },
})

/** A superuser already here, and a dump that names them as Django's pk `pk` with their date joined. */
async function superuserAndCraftedDump() {
  const admin = await createUser(db, { username: unique('admin'), password: 'the superuser password 1' })
  await db.update(users).set({ isSuperuser: true, isStaff: true }).where(eq(users.id, admin.id))
  const key = randomKey()
  const clientId = unique('evil-')
  const dump = [
    djangoUser(admin.id, admin.username, admin.dateJoined, { superuser: true, staff: true }),
    djangoApplication(1, clientId, admin.id, true),
    drfKey(key, admin.id),
  ]
  return { admin, key, clientId, dump }
}

const options = { now: NOW, refreshLifetime: REFRESH_LIFETIME }

const withKey = (key: string) => api('/api/hello', { authorization: `Token ${key}` })

async function refusal(data: unknown, extra: { merge?: boolean } = {}): Promise<string> {
  const error = await importDjangoDump(db, data, { ...options, ...extra }).catch((e: unknown) => e)
  expect(error).toBeInstanceOf(DumpError)
  return (error as DumpError).problems.join('\n')
}

// First, while no user holds Django's ids 1–4.
describe('the review: every superuser, staff user, skip_authorization app and DRF key the import creates', () => {
  it('the dry run of dot-3.4.1 names the staff user and every DRF key', SLOW, async () => {
    const { data, now } = liveDump(structuredClone(dot341))
    const summary = await importDjangoDump(db, data, { now, refreshLifetime: REFRESH_LIFETIME, dryRun: true })
    expect(summary.review).toMatchObject({ superusers: [], staff: ['alice'], skipApplications: [], attached: [] })
    expect(summary.review.drfKeys).toEqual([
      { user: 'bob', existing: false, superuser: false, staff: false },
      { user: 'alice', existing: false, superuser: false, staff: true },
    ])
    const text = formatSummary(summary, { dryRun: true })
    expect(text).toContain('New staff users (1): alice')
    expect(text).toContain('New superusers: none')
    expect(text).toContain('DRF keys (2): bob, alice (staff)')
  })

  it('a new superuser and a skip_authorization app in a dump are named, with the owner', async () => {
    const root = djangoUser(7001, unique('root'), new Date(), { superuser: true, staff: true })
    const app = djangoApplication(1, unique('silent-'), root.pk, true)
    const summary = await importDjangoDump(db, [root, app], { ...options, dryRun: true })
    expect(summary.review.superusers).toEqual([root.fields.username])
    const text = formatSummary(summary, { dryRun: true })
    expect(text).toContain(`New superusers (1): ${root.fields.username}`)
    expect(text).toContain(`${app.fields.client_id} (owner ${root.fields.username})`)
  })
})

describe('import-django: what is already here is a clash unless the operator asks for a merge', () => {
  it('L-3: a crafted dump naming an existing superuser (same username, same date joined) imports nothing', async () => {
    const { admin, key, dump } = await superuserAndCraftedDump()
    const before = await snapshot()
    const problems = await refusal(dump)
    expect(problems).toContain(`auth.user pk=${admin.id}: a user named "${admin.username}" is already here`)
    expect(problems).toContain('--merge')
    expect(await snapshot()).toEqual(before)
    expect((await withKey(key)).status).toBe(401)
    const keyRow = await db
      .select()
      .from(apiKeys)
      .where(eq(apiKeys.keyHash, await sha256Hex(key)))
      .get()
    expect(keyRow).toBeUndefined()
  })

  it('L-3: with merge, the dry run names the superuser attached to, the skip_authorization app and the DRF key', async () => {
    const { admin, clientId, dump } = await superuserAndCraftedDump()
    const summary = await importDjangoDump(db, dump, { ...options, merge: true, dryRun: true })
    expect(summary.review.attached).toEqual([
      expect.objectContaining({ username: admin.username, id: admin.id, superuser: true, staff: true }),
    ])
    expect(summary.review.skipApplications).toEqual([{ clientId, owner: admin.username }])
    expect(summary.review.drfKeys).toEqual([{ user: admin.username, existing: true, superuser: true, staff: true }])
    const text = formatSummary(summary, { dryRun: true })
    expect(text).toMatch(new RegExp(`already here.*${admin.username} \\(superuser\\)`, 's'))
    expect(text).toMatch(new RegExp(`skip_authorization.*${clientId}`, 's'))
    expect(text).toMatch(new RegExp(`DRF keys.*${admin.username}`, 's'))
  })

  it('with merge, the import attaches the key to the account as it is, and changes nothing about the account', async () => {
    const { admin, key, dump } = await superuserAndCraftedDump()
    const summary = await importDjangoDump(db, dump, { ...options, merge: true })
    expect(summary.written.users).toBe(0)
    expect(summary.written.drfKeys).toBe(1)
    const row = await db.select().from(users).where(eq(users.id, admin.id)).get()
    expect(row?.password).toBe(admin.password)
    expect(row?.isSuperuser).toBe(true)
    expect((await withKey(key)).status).toBe(200)
  })

  it("Django's id held here by another user is a clash: the user's OIDC sub would change", async () => {
    const other = await createUser(db, { username: unique('holder'), password: 'another password 12' })
    const dump = [djangoUser(other.id, unique('newcomer'), new Date(), {})]
    const problems = await refusal(dump, { merge: true })
    expect(problems).toMatch(
      new RegExp(`auth\\.user pk=${other.id}: id ${other.id} is already "${other.username}"'s here`),
    )
  })

  it('a client_id already here is a clash; with merge the dump adds its tokens to it and leaves it as it is', async () => {
    const existing = await makeApplication({
      name: 'Already here',
      grantTypes: ['authorization-code'],
      redirectUris: ['https://ok.example/cb'],
    })
    const user = djangoUser(9000 + Math.floor(Math.random() * 1000), unique('dj'), new Date(), {})
    const dump = [user, djangoApplication(1, existing.clientId, user.pk, true)]
    const problems = await refusal(dump)
    expect(problems).toContain(`oauth2_provider.application pk=1: client_id "${existing.clientId}" is already here`)
    const summary = await importDjangoDump(db, dump, { ...options, merge: true })
    expect(summary.written.applications).toBe(0)
    expect(summary.review.attachedApplications).toEqual([existing.clientId])
    const row = await db.select().from(applications).where(eq(applications.id, existing.id)).get()
    expect(row).toMatchObject({
      name: 'Already here',
      skipAuthorization: false,
      redirectUris: ['https://ok.example/cb'],
    })
  })
})

describe('what is taken between the plan and the write is not taken for the dump’s', () => {
  /** A dump of one user with a key and one application, planned; then `meanwhile` runs; then the write. */
  async function raced(meanwhile: (names: { username: string; clientId: string }) => Promise<unknown>) {
    const user = djangoUser(8000 + Math.floor(Math.random() * 1000), unique('racer'), new Date(), { staff: true })
    const clientId = unique('raced-')
    const key = randomKey()
    const dump = [user, djangoApplication(1, clientId, user.pk, false), drfKey(key, user.pk)]
    const plan = await planImport(db, parseDump(dump), options)
    await meanwhile({ username: user.fields.username, clientId })
    const before = await snapshot()
    const outcome = await writePlan(db, plan, { dumpDigest: await sha256Hex(unique('d')), tokensUntil: null }).catch(
      (error: unknown) => error,
    )
    return { outcome, before, user, clientId, key }
  }

  it('a username registered meanwhile fails the users’ batch: the dump’s key never reaches that account', async () => {
    const { outcome, before, key } = await raced(({ username }) =>
      createUser(db, { username, password: 'registered meanwhile 1' }),
    )
    expect(outcome).toBeInstanceOf(Error)
    expect(await snapshot()).toEqual(before)
    expect((await withKey(key)).status).toBe(401)
  })

  it('L-1: a client_id taken meanwhile fails its batch, and the audit entry written with it goes too', async () => {
    const { outcome, clientId } = await raced(({ clientId }) =>
      makeApplication({ clientId, name: 'Taken meanwhile', grantTypes: ['password'] }),
    )
    expect(outcome).toBeInstanceOf(Error)
    const rows = await db.select().from(applications).where(eq(applications.clientId, clientId))
    expect(rows.map((row) => row.name)).toEqual(['Taken meanwhile'])
    const audit = await db.select().from(auditLog).where(eq(auditLog.action, 'application.import'))
    expect(audit.filter((entry) => entry.objectId === String(rows[0].id))).toEqual([])
  })
})
