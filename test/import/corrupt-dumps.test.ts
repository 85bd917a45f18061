/**
 * A dump that is malformed, inconsistent or clashes with what the database holds imports nothing
 * and names each bad record and why; --dry-run writes nothing; values this project refuses are
 * reported, never silently dropped; every statement stays within D1's 100 bound parameters.
 */
import { eq } from 'drizzle-orm'
import { beforeEach, describe, expect, it } from 'vitest'
import { createUser, type ImportedUser, importUserStatements } from '../../src/accounts/users.ts'
import { applications, users } from '../../src/db/schema.ts'
import { importDjangoDump } from '../../src/import/django.ts'
import { DumpError } from '../../src/import/dump.ts'
import {
  type ImportedApplication,
  importApplicationStatements,
  rotateApplicationSecret,
} from '../../src/oauth/applications.ts'
import { importApiKeyStatements } from '../../src/tokens/api-keys.ts'
import { importAccessTokenStatements, importRefreshTokenStatements } from '../../src/tokens/import.ts'
import dot17 from '../fixtures/django/dot-1.7/dump.json'
import dot341 from '../fixtures/django/dot-3.4.1/dump.json'
import { basic, db, form, postToken, testStore } from '../helpers.ts'
import { liveDump, REFRESH_LIFETIME, SLOW, snapshot } from './dumps.ts'

type Record_ = { model: string; pk: unknown; fields: Record<string, unknown> }

/** dot-1.7's dump, live, with `change` applied to a copy. */
function dumpWith(change: (records: Record_[]) => void, source: Record_[] = dot17): { data: unknown; now: number } {
  const { data, now } = liveDump(structuredClone(source))
  change(data)
  return { data, now }
}

function record(records: Record_[], model: string, pk: unknown): Record_ {
  const found = records.find((r) => r.model === model && r.pk === pk)
  if (!found) throw new Error(`${model} ${pk} not in the dump`)
  return found
}

/** Imports `data`, expecting a DumpError whose problems include `expected`; nothing may be written. */
async function refused(dump: { data: unknown; now: number }, expected: RegExp) {
  const before = await snapshot()
  const error = await importDjangoDump(db, dump.data, { now: dump.now, refreshLifetime: REFRESH_LIFETIME }).catch(
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(DumpError)
  expect((error as DumpError).problems.join('\n')).toMatch(expected)
  expect(await snapshot()).toEqual(before)
}

describe('import-django refuses a bad dump whole, naming the record and why', () => {
  it('not the output of dumpdata', async () => {
    await refused({ data: { users: [] }, now: 0 }, /not the output of dumpdata/)
  })

  it('an access token pointing to an application the dump does not hold', async () => {
    const dump = dumpWith((records) => {
      record(records, 'oauth2_provider.accesstoken', 2).fields.application = 99
    })
    await refused(
      dump,
      /oauth2_provider\.accesstoken pk=2: application refers to oauth2_provider\.application pk=99, which the dump does not hold/,
    )
  })

  it('a refresh token pointing to a missing access token, a DRF key of a missing user', async () => {
    const dump = dumpWith((records) => {
      record(records, 'oauth2_provider.refreshtoken', 1).fields.access_token = 42
      record(records, 'authtoken.token', '9c0b31ea57f1237f73edee6bbc19b59063f2b136').fields.user = 7
    })
    await refused(dump, /refreshtoken pk=1: access_token refers to oauth2_provider\.accesstoken pk=42/)
    await refused(
      dump,
      /authtoken\.token pk="9c0b31ea57f1237f73edee6bbc19b59063f2b136": user refers to auth\.user pk=7/,
    )
  })

  it('two usernames that are one once NFKC-normalised (fullwidth ａｌｉｃｅ beside alice)', async () => {
    const dump = dumpWith((records) => {
      record(records, 'auth.user', 2).fields.username = 'ａｌｉｃｅ'
    })
    await refused(
      dump,
      /auth\.user pk=2: username "ａｌｉｃｅ" is the same as auth\.user pk=1's "alice" once normalised/,
    )
  })

  it('a malformed field (a date that is not a date, a missing flag)', async () => {
    const dump = dumpWith((records) => {
      record(records, 'auth.user', 3).fields.date_joined = 'yesterday'
      delete record(records, 'oauth2_provider.application', 2).fields.skip_authorization
    })
    await refused(dump, /auth\.user pk=3 \(record 3\): date_joined: not an ISO 8601 date and time/)
    await refused(dump, /oauth2_provider\.application pk=2 \(record 6\): skip_authorization:/)
  })

  it('the same record twice', async () => {
    const dump = dumpWith((records) => {
      records.push(structuredClone(record(records, 'auth.user', 4)))
    })
    await refused(dump, /auth\.user pk=4: appears twice/)
  })

  it("a DOT 3 token whose token_checksum is not its token's SHA-256", async () => {
    const dump = dumpWith((records) => {
      record(records, 'oauth2_provider.accesstoken', 1).fields.token_checksum = '0'.repeat(64)
    }, dot341)
    await refused(dump, /oauth2_provider\.accesstoken pk=1: token_checksum is not the SHA-256 of its token/)
  })

  it('a different user or client already holding a username or client_id here', SLOW, async () => {
    const bob = await createUser(db, { username: 'Bob', password: 'another password entirely' })
    try {
      await refused(
        dumpWith(() => {}),
        /auth\.user pk=2: a user named "Bob" is already here \(id \d+\); run with --merge/,
      )
    } finally {
      await db.delete(users).where(eq(users.id, bob.id))
    }
  })
})

describe('import-django --dry-run, and what it reports', () => {
  let empty: Awaited<ReturnType<typeof snapshot>>
  beforeEach(async () => {
    empty = await snapshot()
  })

  it('reports the counts it would write and writes nothing', SLOW, async () => {
    const { data, now } = liveDump(structuredClone(dot341))
    const summary = await importDjangoDump(db, data, { now, refreshLifetime: REFRESH_LIFETIME, dryRun: true })
    // DOT 3.4's device-grant client included (RFC 8628 is served here).
    expect(summary.planned).toEqual({ users: 4, applications: 4, accessTokens: 2, refreshTokens: 2, drfKeys: 2 })
    expect(summary.written).toEqual({ users: 0, applications: 0, accessTokens: 0, refreshTokens: 0, drfKeys: 0 })
    expect(await snapshot()).toEqual(empty)
    // The expired token is reported, with why; no application is skipped.
    expect(summary.skipped).toContainEqual({ kind: 'access tokens', count: 1, reason: 'expired' })
    expect(summary.skipped.filter((skipped) => skipped.kind === 'applications')).toEqual([])
  })

  it(
    'a redirect URI this project refuses (plain http to a public host) is dropped with a warning; an app left without any is skipped with one',
    SLOW,
    async () => {
      const { data, now } = dumpWith((records) => {
        record(records, 'oauth2_provider.application', 3).fields.redirect_uris =
          'http://client.example.com/cb https://client.example.com/cb'
        const code = structuredClone(record(records, 'oauth2_provider.application', 3))
        records.push({
          ...code,
          pk: 9,
          fields: { ...code.fields, client_id: 'plain-http-only', redirect_uris: 'http://client.example.com/cb' },
        })
      }) as { data: Record_[]; now: number }
      const summary = await importDjangoDump(db, data, { now, refreshLifetime: REFRESH_LIFETIME, dryRun: true })
      const warnings = summary.warnings.join('\n')
      expect(warnings).toMatch(
        /application pk=3 "peer-authcode-client": redirect URI "http:\/\/client\.example\.com\/cb" dropped: Enter an https URI/,
      )
      expect(warnings).toMatch(/application pk=9 "plain-http-only": not imported: .*needs at least one redirect URI/)
      expect(summary.planned.applications).toBe(3)
    },
  )

  it(
    'a password hash format this project cannot verify is reported (none of the real dumps holds bcrypt_sha256)',
    SLOW,
    async () => {
      const { data, now } = dumpWith((records) => {
        record(records, 'auth.user', 2).fields.password =
          'bcrypt_sha256$$2b$12$abcdefghijklmnopqrstuv1234567890abcdefghijklmnopqrstu'
      })
      const summary = await importDjangoDump(db, data, { now, refreshLifetime: REFRESH_LIFETIME, dryRun: true })
      expect(summary.warnings.join('\n')).toMatch(
        /auth\.user pk=2 "bob": password hash format "bcrypt_sha256" is not one this project verifies/,
      )
    },
  )
})

describe('an imported client whose secret DOT kept hashed', () => {
  it(
    'RFC 6749 §2.3.1: rotating its secret before its first use ends the old one (the Django hash goes too)',
    SLOW,
    async () => {
      const { data, now } = liveDump(structuredClone(dot341))
      await importDjangoDump(db, data, { now, refreshLifetime: REFRESH_LIFETIME })
      const app = await db.select().from(applications).where(eq(applications.clientId, 'peer-cc-client')).get()
      expect(app?.djangoClientSecret).toMatch(/^pbkdf2_sha256\$1000000\$/)
      const secret = await rotateApplicationSecret(testStore(), app?.id ?? 0)
      const grant = (clientSecret: string) =>
        postToken(form({ grant_type: 'client_credentials' }), { Authorization: basic('peer-cc-client', clientSecret) })
      expect((await grant('peer-cc-secret-4b8e2c6a0d1f3e5a')).status).toBe(401)
      expect((await grant(secret ?? '')).status).toBe(200)
    },
  )
})

describe('bulk writes stay within D1 limits', () => {
  it("every INSERT binds at most 100 parameters (D1's limit per statement), however many rows", async () => {
    const date = new Date()
    const users: ImportedUser[] = Array.from({ length: 50 }, (_, i) => ({
      id: 1000 + i,
      username: `u${i}`,
      email: '',
      firstName: '',
      lastName: '',
      password: '!',
      isActive: true,
      isStaff: false,
      isSuperuser: false,
      dateJoined: date,
      lastLogin: null,
    }))
    const apps: ImportedApplication[] = Array.from({ length: 50 }, (_, i) => ({
      clientId: `c${i}`,
      clientSecretHash: '',
      djangoClientSecret: null,
      name: '',
      clientType: 'public',
      grantTypes: ['password'],
      redirectUris: [],
      userId: null,
      skipAuthorization: false,
      algorithm: 'RS256',
      postLogoutRedirectUris: [],
      createdAt: date,
      updatedAt: date,
    }))
    const token = { userId: 1, applicationId: 1, scope: 'read', expiresAt: 1, createdAt: date }
    const statements = [
      ...importUserStatements(db, users),
      ...importApplicationStatements(db, apps),
      ...importAccessTokenStatements(
        db,
        Array.from({ length: 50 }, (_, i) => ({ ...token, digest: hexDigest('a', i) })),
      ),
      ...importRefreshTokenStatements(
        db,
        Array.from({ length: 50 }, (_, i) => ({
          ...token,
          digest: hexDigest('b', i),
          accessTokenDigest: hexDigest('a', i),
          // Every other token continues the family of the one before it.
          familyHeadDigest: i % 2 === 0 ? null : hexDigest('b', i - 1),
          revokedAt: null,
        })),
      ),
      ...(await importApiKeyStatements(
        db,
        Array.from({ length: 50 }, (_, i) => ({ key: `${i}`.padStart(40, '0'), userId: i, createdAt: date })),
      )),
    ]
    const sizes = statements.map((statement) => statement.toSQL().params.length)
    expect(Math.max(...sizes)).toBeLessThanOrEqual(100)
    // Users go as one JSON parameter a statement (plus session_generation's default), however many;
    // the others as full multi-row VALUES.
    expect(sizes[0]).toBe(2)
    expect(sizes[1]).toBeGreaterThan(90)
  })
})

/** A made-up digest in the stored shape (64 hex characters): `i` after a run of `fill`. */
function hexDigest(fill: string, i: number): string {
  return i.toString(16).padStart(64, fill)
}
