/**
 * @module
 * `manage import-django`: the output of `python manage.py dumpdata auth.user oauth2_provider
 * authtoken` (Django + django-oauth-toolkit 1.x–3.x + DRF) brought over in three steps:
 * 1. `parseDump`: every record checked against its model's shape (zod), and every reference
 *    between records resolved, before anything is read or written. A malformed or inconsistent dump
 *    stops here, naming each bad record and why.
 * 2. `planImport`: the rows to write, what is skipped (by kind, with the reason) and warnings for
 *    values this project refuses or cannot use; the database is only read, to tell a user or client
 *    already imported (same username and date joined; same client_id and created time) from a
 *    different one holding the same name, which stops the import.
 * 3. `writePlan`: INSERT … ON CONFLICT DO NOTHING in D1 batches, keyed by natural ids (username,
 *    client_id, a token's or key's digest), in dependency order. D1 has no transaction across
 *    batches, so a write that fails part-way leaves a prefix of the rows; running the import again
 *    writes the rest. A dump imported to the end is recorded (`django_imports`, by its digest):
 *    running it again writes nothing, so a token revoked or rotated since is not brought back.
 * Django's user ids are not kept: an id may already be taken here (the first superuser), and
 * nothing outside the dump refers to them. References are mapped by username and client_id.
 */

import { eq } from 'drizzle-orm'
import type { BatchItem } from 'drizzle-orm/batch'
import { z } from 'zod'
import { isValidUsername, normalizeUsername, usernameKey } from '../accounts/usernames.ts'
import { type ImportedUser, importUserStatements, usersByKeysQueries } from '../accounts/users.ts'
import { sha256Hex } from '../crypto/digest.ts'
import { isVerifiablePasswordHash } from '../crypto/passwords.ts'
import type { SigningAlgorithm } from '../crypto/signing-keys.ts'
import { IMPORTED_TOKEN_SHAPE, isWellFormedApiKey } from '../crypto/token-format.ts'
import { runBatched } from '../db/batching.ts'
import type { Db } from '../db/client.ts'
import { type ApplicationGrant, djangoImports } from '../db/schema.ts'
import { applicationProblems, postLogoutRedirectUriProblem, redirectUriProblem } from '../oauth/application-rules.ts'
import {
  applicationsByClientIdsQueries,
  type ImportedApplication,
  importApplicationStatements,
} from '../oauth/applications.ts'
import { importApiKeyStatements } from '../tokens/api-keys.ts'
import {
  type ImportedAccessToken,
  type ImportedRefreshToken,
  importAccessTokenStatements,
  importedTokenDigest,
  importRefreshTokenStatements,
} from '../tokens/import.ts'

/**
 * A dump that cannot be imported: every problem found, each naming its record.
 * @internal Exported for tests: test/import/corrupt-dumps.test.ts tells a refused dump from a crash.
 */
export class DumpError extends Error {
  readonly problems: string[]

  constructor(problems: string[]) {
    super(`The dump was not imported (nothing was written):\n${problems.map((p) => `  - ${p}`).join('\n')}`)
    this.name = 'DumpError'
    this.problems = problems
  }
}

// Django serialises datetimes as ISO 8601, with an offset when USE_TZ (the default), without one
// (naive, read here as UTC) otherwise.
const timestamp = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/, 'not an ISO 8601 date and time')
  .transform((value) => new Date(/(Z|[+-]\d{2}:\d{2})$/.test(value) ? value : `${value}Z`))
  .refine((date) => !Number.isNaN(date.getTime()), 'not a valid date')
const pk = z.number().int().positive()
const checksum = z.string().regex(/^[0-9a-f]{64}$/, 'not a SHA-256 hex checksum')

const USER = z.object({
  password: z.string().max(256),
  last_login: timestamp.nullable(),
  is_superuser: z.boolean(),
  username: z.string().min(1).max(150),
  first_name: z.string().max(150),
  last_name: z.string().max(150),
  email: z.string().max(254),
  is_staff: z.boolean(),
  is_active: z.boolean(),
  date_joined: timestamp,
})

const APPLICATION = z.object({
  client_id: z.string().min(1).max(100),
  user: pk.nullable(),
  redirect_uris: z.string(),
  post_logout_redirect_uris: z.string().default(''),
  client_type: z.enum(['confidential', 'public']),
  authorization_grant_type: z.string(),
  client_secret: z.string().max(255),
  // DOT ≥ 2; absent (1.x): the secret is in clear.
  hash_client_secret: z.boolean().default(false),
  name: z.string().max(255),
  skip_authorization: z.boolean(),
  created: timestamp,
  updated: timestamp,
  algorithm: z.string().default(''),
  allowed_origins: z.string().default(''),
})

const ACCESS_TOKEN = z.object({
  user: pk.nullable(),
  token: z.string().max(255),
  // DOT ≥ 3: SHA-256 hex of the token; the only trace of it with COMPLIANT_BCP_RFC9700_TOKEN_STORAGE.
  token_checksum: checksum.optional(),
  application: pk.nullable(),
  expires: timestamp,
  scope: z.string(),
  resource: z.array(z.string()).default([]),
  created: timestamp,
})

const REFRESH_TOKEN = z.object({
  user: pk,
  token: z.string().max(255),
  token_checksum: checksum.optional(),
  application: pk,
  access_token: pk.nullable(),
  // DOT ≥ 3: the rotation family; earlier refresh tokens start their own.
  token_family: z.uuid().nullable().default(null),
  created: timestamp,
  revoked: timestamp.nullable(),
})

const DRF_KEY = z.object({ user: pk, created: timestamp })

const RECORD = z.object({ model: z.string(), pk: z.unknown(), fields: z.record(z.string(), z.unknown()) })

// What dumpdata of these apps may also hold, and why it is not brought over.
const NOT_IMPORTED: Record<string, string> = {
  'oauth2_provider.grant': 'authorization codes live for seconds; clients ask again',
  'oauth2_provider.idtoken': 'ID tokens are not looked up; clients keep theirs',
  'oauth2_provider.devicegrant': 'the device authorization grant is not supported',
}

/** DOT's authorization_grant_type → ours; others (implicit, openid-hybrid, device code) are not supported. */
const GRANTS: Record<string, ApplicationGrant> = {
  password: 'password',
  'client-credentials': 'client-credentials',
  'authorization-code': 'authorization-code',
}

type User = z.infer<typeof USER> & { pk: number; name: string; key: string }
type Application = z.infer<typeof APPLICATION> & { pk: number }
type AccessToken = z.infer<typeof ACCESS_TOKEN> & { pk: number }
type RefreshToken = z.infer<typeof REFRESH_TOKEN> & { pk: number }
type DrfKey = z.infer<typeof DRF_KEY> & { key: string }

type Dump = {
  users: User[]
  applications: Application[]
  accessTokens: AccessToken[]
  refreshTokens: RefreshToken[]
  drfKeys: DrfKey[]
  /** Records of models not imported: count per model, and why. */
  otherModels: Map<string, { count: number; reason: string }>
}

function label(model: string, key: unknown): string {
  return `${model} pk=${JSON.stringify(key)}`
}

function issues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(record)'}: ${issue.message}`).join('; ')
}

/** Whitespace-separated URIs, as DOT stores redirect_uris and post_logout_redirect_uris. */
function uriList(value: string): string[] {
  return value.split(/\s+/).filter(Boolean)
}

/**
 * Step 1: the dump checked whole. Throws a DumpError listing every malformed record and every
 * reference to a record the dump does not hold.
 */
function parseDump(data: unknown): Dump {
  const problems: string[] = []
  const dump: Dump = {
    users: [],
    applications: [],
    accessTokens: [],
    refreshTokens: [],
    drfKeys: [],
    otherModels: new Map(),
  }
  const records = z.array(RECORD).safeParse(data)
  if (!records.success) {
    throw new DumpError([`not the output of dumpdata (a JSON list of {model, pk, fields}): ${issues(records.error)}`])
  }
  const seen = new Set<string>()
  for (const [index, record] of records.data.entries()) {
    const name = label(record.model, record.pk)
    if (seen.has(name)) {
      problems.push(`${name}: appears twice`)
      continue
    }
    seen.add(name)
    const read = <T extends z.ZodType>(schema: T): z.infer<T> | null => {
      const parsed = schema.safeParse(record.fields)
      if (parsed.success) return parsed.data
      problems.push(`${name} (record ${index + 1}): ${issues(parsed.error)}`)
      return null
    }
    const id = pk.safeParse(record.pk)
    switch (record.model) {
      case 'auth.user': {
        const fields = read(USER)
        if (!id.success) problems.push(`${name}: pk is not a positive integer`)
        else if (fields) {
          const username = normalizeUsername(fields.username)
          dump.users.push({ ...fields, pk: id.data, name: username, key: usernameKey(username) })
        }
        break
      }
      case 'oauth2_provider.application': {
        const fields = read(APPLICATION)
        if (!id.success) problems.push(`${name}: pk is not a positive integer`)
        else if (fields) dump.applications.push({ ...fields, pk: id.data })
        break
      }
      case 'oauth2_provider.accesstoken': {
        const fields = read(ACCESS_TOKEN)
        if (!id.success) problems.push(`${name}: pk is not a positive integer`)
        else if (fields) dump.accessTokens.push({ ...fields, pk: id.data })
        break
      }
      case 'oauth2_provider.refreshtoken': {
        const fields = read(REFRESH_TOKEN)
        if (!id.success) problems.push(`${name}: pk is not a positive integer`)
        else if (fields) dump.refreshTokens.push({ ...fields, pk: id.data })
        break
      }
      case 'authtoken.token': {
        const fields = read(DRF_KEY)
        if (typeof record.pk !== 'string') problems.push(`${name}: the key (pk) is not a string`)
        else if (fields) dump.drfKeys.push({ ...fields, key: record.pk })
        break
      }
      default: {
        const other = dump.otherModels.get(record.model) ?? {
          count: 0,
          reason: NOT_IMPORTED[record.model] ?? 'not a model this import knows',
        }
        other.count++
        dump.otherModels.set(record.model, other)
      }
    }
  }
  problems.push(...inconsistencies(dump))
  if (problems.length > 0) throw new DumpError(problems)
  return dump
}

/** References to records the dump does not hold, and values that must be unique but are not. */
function inconsistencies(dump: Dump): string[] {
  const problems: string[] = []
  const users = new Set(dump.users.map((user) => user.pk))
  const applications = new Set(dump.applications.map((application) => application.pk))
  const accessTokens = new Set(dump.accessTokens.map((token) => token.pk))
  const missing = (name: string, field: string, model: string, key: number) =>
    problems.push(`${name}: ${field} refers to ${label(model, key)}, which the dump does not hold`)

  const byKey = new Map<string, User>()
  for (const user of dump.users) {
    const name = label('auth.user', user.pk)
    if (!isValidUsername(user.name)) {
      problems.push(`${name}: username ${JSON.stringify(user.username)} is not a valid username`)
    }
    const other = byKey.get(user.key)
    if (other) {
      problems.push(
        `${name}: username ${JSON.stringify(user.username)} is the same as ${label('auth.user', other.pk)}'s ${JSON.stringify(other.username)} once normalised (NFKC, case-insensitive)`,
      )
    } else byKey.set(user.key, user)
  }
  const clientIds = new Map<string, number>()
  for (const application of dump.applications) {
    const name = label('oauth2_provider.application', application.pk)
    if (application.user !== null && !users.has(application.user)) missing(name, 'user', 'auth.user', application.user)
    const other = clientIds.get(application.client_id)
    if (other !== undefined) {
      problems.push(
        `${name}: client_id ${JSON.stringify(application.client_id)} is also ${label('oauth2_provider.application', other)}'s`,
      )
    } else clientIds.set(application.client_id, application.pk)
  }
  for (const token of dump.accessTokens) {
    const name = label('oauth2_provider.accesstoken', token.pk)
    if (token.application === null) problems.push(`${name}: has no application`)
    else if (!applications.has(token.application))
      missing(name, 'application', 'oauth2_provider.application', token.application)
    if (token.user !== null && !users.has(token.user)) missing(name, 'user', 'auth.user', token.user)
    problems.push(...tokenValueProblems(name, token))
  }
  for (const token of dump.refreshTokens) {
    const name = label('oauth2_provider.refreshtoken', token.pk)
    if (!applications.has(token.application))
      missing(name, 'application', 'oauth2_provider.application', token.application)
    if (!users.has(token.user)) missing(name, 'user', 'auth.user', token.user)
    if (token.access_token !== null && !accessTokens.has(token.access_token)) {
      missing(name, 'access_token', 'oauth2_provider.accesstoken', token.access_token)
    }
    problems.push(...tokenValueProblems(name, token))
  }
  const keyOwners = new Set<number>()
  for (const key of dump.drfKeys) {
    const name = label('authtoken.token', key.key)
    if (!users.has(key.user)) missing(name, 'user', 'auth.user', key.user)
    if (keyOwners.has(key.user)) problems.push(`${name}: ${label('auth.user', key.user)} has another key already`)
    keyOwners.add(key.user)
  }
  return problems
}

/** A token is its plaintext or, when DOT kept only that, its checksum; both present must agree. */
function tokenValueProblems(name: string, token: { token: string; token_checksum?: string }): string[] {
  if (token.token === '' && token.token_checksum === undefined)
    return [`${name}: has neither a token nor a token_checksum`]
  return []
}

type Skipped = { kind: string; count: number; reason: string }

type Plan = {
  users: ImportedUser[]
  applications: (Omit<ImportedApplication, 'userId'> & { owner: string | null })[]
  accessTokens: (Omit<ImportedAccessToken, 'userId' | 'applicationId'> & { user: string | null; clientId: string })[]
  refreshTokens: (Omit<ImportedRefreshToken, 'userId' | 'applicationId'> & { user: string | null; clientId: string })[]
  drfKeys: { key: string; user: string; createdAt: Date }[]
  /** Users and applications the database already holds from an earlier run of this import. */
  present: { users: number; applications: number }
  skipped: Skipped[]
  warnings: string[]
  /** The latest expiry among the imported tokens (Unix seconds), or null when there are none. */
  tokensUntil: number | null
}

export type PlanOptions = {
  /** Unix seconds: access tokens expired by then are skipped. */
  now: number
  /** Lifetime given to imported refresh tokens from now (DOT's do not expire): REFRESH_TOKEN_EXPIRE_SECONDS. */
  refreshLifetime: number
}

/** Step 2: what will be written and what will not. Reads the database; throws a DumpError on a clash. */
async function planImport(db: Db, dump: Dump, options: PlanOptions): Promise<Plan> {
  const warnings: string[] = []
  const skipped = new Map<string, Skipped>()
  const skip = (kind: string, reason: string) => {
    const entry = skipped.get(`${kind}\n${reason}`) ?? { kind, count: 0, reason }
    entry.count++
    skipped.set(`${kind}\n${reason}`, entry)
  }
  const usersByPk = new Map(dump.users.map((user) => [user.pk, user]))
  const present = await existingRecords(db, dump)

  const users: ImportedUser[] = []
  for (const user of dump.users) {
    const name = label('auth.user', user.pk)
    if (!user.password.startsWith('!') && !isVerifiablePasswordHash(user.password)) {
      const format = user.password.split('$')[0] || '(empty)'
      warnings.push(
        `${name} ${JSON.stringify(user.name)}: password hash format ${JSON.stringify(format)} is not one this project verifies (or its parameters are beyond its limits); the user must reset their password`,
      )
    }
    if (present.users.has(user.pk)) continue
    users.push({
      username: user.name,
      email: user.email,
      firstName: user.first_name,
      lastName: user.last_name,
      password: user.password,
      isActive: user.is_active,
      isStaff: user.is_staff,
      isSuperuser: user.is_superuser,
      dateJoined: user.date_joined,
      lastLogin: user.last_login,
    })
  }

  const applications: Plan['applications'] = []
  const imported = new Map<number, string>() // application pk → client_id, for its tokens
  for (const application of dump.applications) {
    const name = `${label('oauth2_provider.application', application.pk)} ${JSON.stringify(application.client_id)}`
    const planned = await planApplication(application, name, warnings)
    if (typeof planned === 'string') {
      warnings.push(`${name}: not imported: ${planned}`)
      skip('applications', 'settings this project does not support (see the warnings)')
      continue
    }
    imported.set(application.pk, application.client_id)
    if (present.applications.has(application.pk)) continue
    const owner = application.user === null ? null : (usersByPk.get(application.user)?.name ?? null)
    applications.push({ ...planned, owner })
  }

  const userName = (key: number | null) => (key === null ? null : (usersByPk.get(key)?.name ?? null))
  const accessTokens: Plan['accessTokens'] = []
  const accessByPk = new Map(dump.accessTokens.map((token) => [token.pk, token]))
  const accessDigests = new Map<number, string>()
  let tokensUntil: number | null = null
  const extend = (until: number) => {
    tokensUntil = Math.max(tokensUntil ?? 0, until)
  }
  for (const token of dump.accessTokens) {
    const name = label('oauth2_provider.accesstoken', token.pk)
    const clientId = token.application === null ? undefined : imported.get(token.application)
    const expiresAt = Math.floor(token.expires.getTime() / 1000)
    if (clientId === undefined) {
      skip('access tokens', 'their application is not imported')
      continue
    }
    if (expiresAt <= options.now) {
      skip('access tokens', 'expired')
      continue
    }
    const digest = await tokenDigest(name, token, warnings)
    if (digest === null) {
      skip('access tokens', 'not in the shape of a django-oauth-toolkit token (see the warnings)')
      continue
    }
    if (token.resource.length > 0) warnings.push(`${name}: its resource list (RFC 8707) is not kept`)
    accessDigests.set(token.pk, digest)
    extend(expiresAt)
    accessTokens.push({
      digest,
      user: userName(token.user),
      clientId,
      scope: token.scope,
      expiresAt,
      createdAt: token.created,
    })
  }

  const refreshTokens: Plan['refreshTokens'] = []
  // DOT ≥ 3 names a rotation family by a UUID; here the family's first token names it by its id.
  const familyHeads = new Map<string, string>()
  for (const token of dump.refreshTokens) {
    const name = label('oauth2_provider.refreshtoken', token.pk)
    const clientId = imported.get(token.application)
    if (clientId === undefined) {
      skip('refresh tokens', 'their application is not imported')
      continue
    }
    const digest = await tokenDigest(name, token, warnings)
    if (digest === null) {
      skip('refresh tokens', 'not in the shape of a django-oauth-toolkit token (see the warnings)')
      continue
    }
    // DOT keeps a refresh token's scope on its access token only.
    const access = token.access_token === null ? undefined : accessByPk.get(token.access_token)
    if (!access && token.revoked === null) {
      warnings.push(`${name}: has no access token to take its scope from; it refreshes to an empty scope`)
    }
    const expiresAt = options.now + options.refreshLifetime
    if (token.revoked === null) extend(expiresAt)
    refreshTokens.push({
      digest,
      accessTokenDigest: token.access_token === null ? null : (accessDigests.get(token.access_token) ?? null),
      user: userName(token.user),
      clientId,
      scope: access?.scope ?? '',
      familyHeadDigest: familyHead(familyHeads, token.token_family, digest),
      expiresAt,
      // Kept, so that presenting a rotated DOT refresh token again revokes its family (RFC 9700 §4.14.2).
      revokedAt: token.revoked === null ? null : Math.floor(token.revoked.getTime() / 1000),
      createdAt: token.created,
    })
  }

  const drfKeys: Plan['drfKeys'] = []
  for (const key of dump.drfKeys) {
    if (!isWellFormedApiKey(key.key)) {
      warnings.push(
        `${label('authtoken.token', '…')} of ${label('auth.user', key.user)}: not a DRF key (40 lowercase hex characters)`,
      )
      skip('DRF keys', 'not in the shape of a DRF key')
      continue
    }
    drfKeys.push({ key: key.key, user: userName(key.user) ?? '', createdAt: key.created })
  }

  for (const [model, other] of dump.otherModels) skip(model, other.reason)
  return {
    users,
    applications,
    accessTokens,
    refreshTokens,
    drfKeys,
    present: { users: present.users.size, applications: present.applications.size },
    skipped: [...skipped.values()],
    warnings,
    tokensUntil,
  }
}

/** The stored digest of a token, or null (with a warning) when its plaintext is not a DOT token. */
async function tokenDigest(
  name: string,
  token: { token: string; token_checksum?: string },
  warnings: string[],
): Promise<string | null> {
  if (token.token === '') return importedTokenDigest({ checksum: token.token_checksum ?? '' })
  // Only tokens of DOT's default shape pass the format check at lookup (src/crypto/token-format.ts).
  if (!IMPORTED_TOKEN_SHAPE.test(token.token)) {
    warnings.push(`${name}: not 20–255 characters of [A-Za-z0-9] (a custom ACCESS_TOKEN_GENERATOR?): not imported`)
    return null
  }
  const digest = await importedTokenDigest({ plaintext: token.token })
  if (token.token_checksum !== undefined && token.token_checksum !== (await sha256Hex(token.token))) {
    throw new DumpError([`${name}: token_checksum is not the SHA-256 of its token`])
  }
  return digest
}

/** An application as ours, or why it cannot be imported; refused values are dropped with a warning. */
async function planApplication(
  application: Application,
  name: string,
  warnings: string[],
): Promise<Omit<ImportedApplication, 'userId'> | string> {
  const grant = GRANTS[application.authorization_grant_type]
  if (!grant) return `grant type ${JSON.stringify(application.authorization_grant_type)} is not supported`
  const keep = (field: string, uris: string[], rule: (uri: string) => string | null) =>
    uris.filter((uri) => {
      const problem = rule(uri)
      if (problem) warnings.push(`${name}: ${field} ${JSON.stringify(uri)} dropped: ${problem}`)
      return problem === null
    })
  const redirectUris = keep('redirect URI', uriList(application.redirect_uris), redirectUriProblem)
  const postLogoutRedirectUris = keep(
    'post-logout redirect URI',
    uriList(application.post_logout_redirect_uris),
    postLogoutRedirectUriProblem,
  )
  const problems = applicationProblems({
    clientType: application.client_type,
    grantTypes: [grant],
    redirectUris,
    postLogoutRedirectUris,
  })
  if (problems) return Object.values(problems).flat().join(' ')

  let algorithm: SigningAlgorithm = 'RS256'
  if (application.algorithm === 'ES256') algorithm = 'ES256'
  else if (application.algorithm !== '' && application.algorithm !== 'RS256') {
    warnings.push(
      `${name}: algorithm ${JSON.stringify(application.algorithm)} is not supported: its ID tokens are signed with RS256`,
    )
  }
  if (application.allowed_origins.trim() !== '') warnings.push(`${name}: allowed_origins (CORS) is not kept`)

  let clientSecretHash = ''
  let djangoClientSecret: string | null = null
  if (application.client_type === 'confidential') {
    if (application.hash_client_secret) {
      djangoClientSecret = application.client_secret
      if (!isVerifiablePasswordHash(application.client_secret)) {
        warnings.push(`${name}: its hashed secret is in a format this project does not verify: rotate the secret`)
      }
    } else {
      if (application.client_secret === '') warnings.push(`${name}: has an empty client secret: rotate it`)
      clientSecretHash = await sha256Hex(application.client_secret)
    }
  }
  return {
    clientId: application.client_id,
    clientSecretHash,
    djangoClientSecret,
    name: application.name,
    clientType: application.client_type,
    grantTypes: [grant],
    redirectUris,
    skipAuthorization: application.skip_authorization,
    algorithm,
    postLogoutRedirectUris,
    createdAt: application.created,
    updatedAt: application.updated,
  }
}

function seconds(date: Date): number {
  return Math.floor(date.getTime() / 1000)
}

/**
 * The dump's users and applications the database already holds: the same username (ignoring
 * case) and date joined, the same client_id, name and created time — this import ran before.
 * Anyone else under such a name is a clash, and nothing is written.
 */
async function existingRecords(db: Db, dump: Dump): Promise<{ users: Set<number>; applications: Set<number> }> {
  const problems: string[] = []
  const users = new Set<number>()
  const applications = new Set<number>()
  const userRows = (await runReads(
    db,
    usersByKeysQueries(
      db,
      dump.users.map((user) => user.key),
    ),
  )) as {
    username: string
    usernameKey: string | null
    dateJoined: Date
  }[]
  const foundUsers = new Map(userRows.map((row) => [row.usernameKey, row]))
  for (const user of dump.users) {
    const found = foundUsers.get(user.key)
    if (!found) continue
    if (found.username === user.name && seconds(found.dateJoined) === seconds(user.date_joined)) users.add(user.pk)
    else {
      problems.push(
        `${label('auth.user', user.pk)}: a different user named ${JSON.stringify(found.username)} already exists here`,
      )
    }
  }
  const appRows = (await runReads(
    db,
    applicationsByClientIdsQueries(
      db,
      dump.applications.map((application) => application.client_id),
    ),
  )) as { clientId: string; name: string; createdAt: Date }[]
  const foundApps = new Map(appRows.map((row) => [row.clientId, row]))
  for (const application of dump.applications) {
    const found = foundApps.get(application.client_id)
    if (!found) continue
    if (found.name === application.name && seconds(found.createdAt) === seconds(application.created)) {
      applications.add(application.pk)
    } else {
      problems.push(
        `${label('oauth2_provider.application', application.pk)}: a different application with client_id ${JSON.stringify(application.client_id)} already exists here`,
      )
    }
  }
  if (problems.length > 0) throw new DumpError(problems)
  return { users, applications }
}

async function runReads<R>(db: Db, queries: (BatchItem<'sqlite'> & PromiseLike<R[]>)[]): Promise<R[]> {
  if (queries.length === 0) return []
  return ((await runBatched(db, queries)) as R[][]).flat()
}

export type Summary = {
  /** Rows written, per kind (0 everywhere on a dry run, or when the import ran before). */
  written: Record<Kind, number>
  /** Rows the dump would write, per kind (the dry run's counts). */
  planned: Record<Kind, number>
  present: Plan['present']
  skipped: Skipped[]
  warnings: string[]
  tokensUntil: number | null
  /** When this very dump was imported to the end before (then nothing was written now), or null. */
  importedBefore: Date | null
}

type Kind = 'users' | 'applications' | 'accessTokens' | 'refreshTokens' | 'drfKeys'

/** Step 3: the plan written, in dependency order; rows already there are left as they are. */
async function writePlan(db: Db, plan: Plan): Promise<Record<Kind, number>> {
  const count = (results: unknown[]) => (results as unknown[][]).reduce((sum, rows) => sum + rows.length, 0)
  const users = count(await runBatched(db, importUserStatements(db, plan.users)))
  const userIds = await idsByUsername(db, [
    ...new Set([
      ...plan.applications.map((a) => a.owner),
      ...plan.accessTokens.map((t) => t.user),
      ...plan.refreshTokens.map((t) => t.user),
      ...plan.drfKeys.map((k) => k.user),
    ]),
  ])
  const userId = (name: string | null) => (name === null ? null : (userIds.get(name) ?? null))
  const applications = count(
    await runBatched(
      db,
      importApplicationStatements(
        db,
        plan.applications.map(({ owner, ...application }) => ({ ...application, userId: userId(owner) })),
      ),
    ),
  )
  const applicationIds = await idsByClientId(db, [
    ...new Set([...plan.accessTokens.map((t) => t.clientId), ...plan.refreshTokens.map((t) => t.clientId)]),
  ])
  const tokenRow = <T extends { user: string | null; clientId: string }>({ user, clientId, ...row }: T) => ({
    ...row,
    userId: userId(user),
    applicationId: applicationIds.get(clientId) as number,
  })
  const accessTokens = count(await runBatched(db, importAccessTokenStatements(db, plan.accessTokens.map(tokenRow))))
  const refreshTokens = count(await runBatched(db, importRefreshTokenStatements(db, plan.refreshTokens.map(tokenRow))))
  const drfKeys = count(
    await runBatched(
      db,
      await importApiKeyStatements(
        db,
        plan.drfKeys.map((key) => ({ key: key.key, userId: userId(key.user) as number, createdAt: key.createdAt })),
      ),
    ),
  )
  return { users, applications, accessTokens, refreshTokens, drfKeys }
}

async function idsByUsername(db: Db, names: (string | null)[]): Promise<Map<string, number>> {
  const keys = names.filter((name): name is string => name !== null).map(usernameKey)
  const rows = (await runReads(db, usersByKeysQueries(db, keys))) as { id: number; username: string }[]
  return new Map(rows.map((row) => [row.username, row.id]))
}

async function idsByClientId(db: Db, clientIds: string[]): Promise<Map<string, number>> {
  const rows = (await runReads(db, applicationsByClientIdsQueries(db, clientIds))) as { id: number; clientId: string }[]
  return new Map(rows.map((row) => [row.clientId, row.id]))
}

/** The three steps: parse and check, plan, and (unless `dryRun`) write. Throws a DumpError before any write. */
export async function importDjangoDump(
  db: Db,
  data: unknown,
  options: PlanOptions & { dryRun?: boolean },
): Promise<Summary> {
  const plan = await planImport(db, parseDump(data), options)
  const dumpDigest = await sha256Hex(JSON.stringify(data))
  const before = await db.select().from(djangoImports).where(eq(djangoImports.dumpDigest, dumpDigest)).get()
  const planned = {
    users: plan.users.length,
    applications: plan.applications.length,
    accessTokens: plan.accessTokens.length,
    refreshTokens: plan.refreshTokens.length,
    drfKeys: plan.drfKeys.length,
  }
  let written = { users: 0, applications: 0, accessTokens: 0, refreshTokens: 0, drfKeys: 0 }
  if (!options.dryRun && !before) {
    written = await writePlan(db, plan)
    await db.insert(djangoImports).values({ dumpDigest, completedAt: new Date() }).onConflictDoNothing()
  }
  return {
    written,
    planned,
    present: plan.present,
    skipped: plan.skipped,
    warnings: plan.warnings,
    tokensUntil: plan.tokensUntil,
    importedBefore: before?.completedAt ?? null,
  }
}

/** The digest of the first token of `family` seen, or null when this token is that first one (or has no family). */
function familyHead(heads: Map<string, string>, family: string | null, digest: string): string | null {
  if (family === null) return null
  const head = heads.get(family)
  if (head !== undefined) return head
  heads.set(family, digest)
  return null
}
