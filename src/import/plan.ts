/**
 * @module
 * Step 2 of `manage import-django` (./django.ts): from a checked dump, the rows to write, what is
 * skipped (by kind, with the reason), warnings for values this project refuses or cannot use, and
 * the review the operator reads before anything is written. The database is only read.
 *
 * What is already here is never taken for the dump's by its name: a username or client_id the
 * database holds is a clash, and so is a Django user id another user holds here (Django's ids are
 * kept: they are the OIDC `sub` relying parties know the users by). A clash stops the import,
 * unless the operator asks for a merge: then the dump's records attach to the account or
 * application already here, which stays as it is, and the review names each one.
 */
import type { BatchItem } from 'drizzle-orm/batch'
import { type ImportedUser, usersByIdsQueries, usersByKeysQueries } from '../accounts/users.ts'
import { sha256Hex } from '../crypto/digest.ts'
import { isVerifiablePasswordHash } from '../crypto/passwords.ts'
import type { SigningAlgorithm } from '../crypto/signing-keys.ts'
import { IMPORTED_TOKEN_SHAPE, isWellFormedApiKey } from '../crypto/token-format.ts'
import { runBatched } from '../db/batching.ts'
import type { Db } from '../db/client.ts'
import { type ApplicationGrant, DEVICE_CODE_GRANT } from '../db/schema.ts'
import { applicationProblems, postLogoutRedirectUriProblem, redirectUriProblem } from '../oauth/application-rules.ts'
import { applicationsByClientIdsQueries, type ImportedApplication } from '../oauth/applications.ts'
import { type ImportedAccessToken, type ImportedRefreshToken, importedTokenDigest } from '../tokens/import.ts'
import { describeHasher, type SlowSecret, secretMatches } from './client-secrets.ts'
import { type Application, type Dump, DumpError, label } from './dump.ts'

/** DOT's authorization_grant_type → ours; the others (implicit, openid-hybrid) are not supported. */
const GRANTS: Record<string, ApplicationGrant> = {
  password: 'password',
  'client-credentials': 'client-credentials',
  'authorization-code': 'authorization-code',
  // DOT 3's name is the RFC 8628 URN, which is ours too.
  [DEVICE_CODE_GRANT]: DEVICE_CODE_GRANT,
}

export type Skipped = { kind: string; count: number; reason: string }

/** An account the review names: its username and its power (here, for an account already here). */
type Account = { user: string; existing: boolean; superuser: boolean; staff: boolean }

/** What the operator reads before the import writes: the accounts with power, and what joins accounts already here. */
export type Review = {
  /** New accounts with Django's is_superuser. */
  superusers: string[]
  /** New accounts with is_staff but not is_superuser. */
  staff: string[]
  /** Applications created with skip_authorization (consent never asked), with their owner. */
  skipApplications: { clientId: string; owner: string | null }[]
  /** Every DRF key, by its owner. */
  drfKeys: Account[]
  /** Accounts already here that the dump's records attach to (merge), and what attaches. */
  attached: { username: string; id: number; djangoId: number; superuser: boolean; staff: boolean; brings: string[] }[]
  /** client_ids already here that the dump's tokens attach to (merge); the applications stay as they are. */
  attachedApplications: string[]
}

export type PlannedApplication = ImportedApplication & {
  /** What the audit entry of its creation says (src/import/write.ts). */
  audit: string
}

export type Plan = {
  users: ImportedUser[]
  applications: PlannedApplication[]
  /** Applications already here the dump's tokens attach to (merge): client_id → id. */
  existingApplications: Map<string, number>
  accessTokens: (Omit<ImportedAccessToken, 'applicationId'> & { clientId: string })[]
  refreshTokens: (Omit<ImportedRefreshToken, 'applicationId'> & { clientId: string })[]
  drfKeys: { key: string; userId: number; createdAt: Date }[]
  review: Review
  /** Clients whose secret stays Django's (slow) hash. */
  slowSecrets: SlowSecret[]
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
  /** Attach the dump's records to the users and applications already here with the same username or client_id. */
  merge?: boolean
  /** client_id → plaintext secret: stored as this server's digest instead of Django's hash (each checked against it). */
  clientSecrets?: Record<string, string>
}

/** Where a dump user's records go: a new account with Django's id, or one already here (merge). */
type Target = { id: number; username: string; existing: boolean; superuser: boolean; staff: boolean }

/** Whitespace-separated URIs, as DOT stores redirect_uris and post_logout_redirect_uris. */
function uriList(value: string): string[] {
  return value.split(/\s+/).filter(Boolean)
}

const MERGE_HINT = 'run with --merge to attach the dump’s records to it'

/** The dump's users: new ones (keeping Django's id) or, with merge, accounts already here. Throws a DumpError on a clash. */
async function userTargets(db: Db, dump: Dump, merge: boolean): Promise<Map<number, Target>> {
  type Row = { id: number; username: string; usernameKey: string | null; isStaff: boolean; isSuperuser: boolean }
  const byKey = new Map(
    (
      (await runReads(
        db,
        usersByKeysQueries(
          db,
          dump.users.map((user) => user.key),
        ),
      )) as Row[]
    ).map((row) => [row.usernameKey, row]),
  )
  const byId = new Map(
    (
      (await runReads(
        db,
        usersByIdsQueries(
          db,
          dump.users.map((user) => user.pk),
        ),
      )) as Row[]
    ).map((row) => [row.id, row]),
  )
  const problems: string[] = []
  const targets = new Map<number, Target>()
  for (const user of dump.users) {
    const name = label('auth.user', user.pk)
    const found = byKey.get(user.key)
    if (found) {
      if (merge) {
        targets.set(user.pk, {
          id: found.id,
          username: found.username,
          existing: true,
          superuser: found.isSuperuser,
          staff: found.isStaff,
        })
      } else {
        const power = found.isSuperuser ? ', superuser' : found.isStaff ? ', staff' : ''
        problems.push(
          `${name}: a user named ${JSON.stringify(found.username)} is already here (id ${found.id}${power}); ${MERGE_HINT}`,
        )
      }
      continue
    }
    const holder = byId.get(user.pk)
    if (holder) {
      problems.push(
        `${name}: id ${user.pk} is already ${JSON.stringify(holder.username)}'s here; Django's user ids are kept (they are the OIDC sub relying parties know users by): import into a database where no one holds them (before createsuperuser)`,
      )
      continue
    }
    targets.set(user.pk, {
      id: user.pk,
      username: user.name,
      existing: false,
      superuser: user.is_superuser,
      staff: user.is_staff,
    })
  }
  if (problems.length > 0) throw new DumpError(problems)
  return targets
}

/** The dump's client_ids already here: with merge, client_id → id; a clash otherwise (DumpError). */
async function existingApplications(db: Db, dump: Dump, merge: boolean): Promise<Map<string, number>> {
  const rows = (await runReads(
    db,
    applicationsByClientIdsQueries(
      db,
      dump.applications.map((application) => application.client_id),
    ),
  )) as { id: number; clientId: string }[]
  const found = new Map(rows.map((row) => [row.clientId, row.id]))
  if (!merge) {
    const problems = dump.applications
      .filter((application) => found.has(application.client_id))
      .map(
        (application) =>
          `${label('oauth2_provider.application', application.pk)}: client_id ${JSON.stringify(application.client_id)} is already here; ${MERGE_HINT}`,
      )
    if (problems.length > 0) throw new DumpError(problems)
  }
  return found
}

async function runReads<R>(db: Db, queries: (BatchItem<'sqlite'> & PromiseLike<R[]>)[]): Promise<R[]> {
  if (queries.length === 0) return []
  return ((await runBatched(db, queries)) as R[][]).flat()
}

/** Reads the database; throws a DumpError on a clash, or on a client secret that does not match its client. */
export async function planImport(db: Db, dump: Dump, options: PlanOptions): Promise<Plan> {
  const warnings: string[] = []
  const skipped = new Map<string, Skipped>()
  const skip = (kind: string, reason: string) => {
    const entry = skipped.get(`${kind}\n${reason}`) ?? { kind, count: 0, reason }
    entry.count++
    skipped.set(`${kind}\n${reason}`, entry)
  }
  const merge = options.merge ?? false
  await checkClientSecrets(dump, options.clientSecrets ?? {})
  const targets = await userTargets(db, dump, merge)
  const existing = await existingApplications(db, dump, merge)
  const review: Review = {
    superusers: [],
    staff: [],
    skipApplications: [],
    drfKeys: [],
    attached: [],
    attachedApplications: [],
  }
  const target = (pk: number | null) => (pk === null ? undefined : targets.get(pk))
  // Accounts already here (merge), by Django pk: what of the dump attaches to each.
  const attached = new Map<number, Review['attached'][number]>()
  const attach = (pk: number | null, what: string) => {
    if (pk !== null) attached.get(pk)?.brings.push(what)
  }

  const users: ImportedUser[] = []
  for (const user of dump.users) {
    const name = `${label('auth.user', user.pk)} ${JSON.stringify(user.name)}`
    if (!user.password.startsWith('!') && !isVerifiablePasswordHash(user.password)) {
      const format = user.password.split('$')[0] || '(empty)'
      warnings.push(
        `${name}: password hash format ${JSON.stringify(format)} is not one this project verifies (or its parameters are beyond its limits); the user must reset their password`,
      )
    }
    const found = targets.get(user.pk) as Target
    if (found.existing) {
      const { username, id, superuser, staff } = found
      attached.set(user.pk, { username, id, djangoId: user.pk, superuser, staff, brings: [] })
      if (found.id !== user.pk) {
        warnings.push(
          `${name}: attached to the account already here, whose id is ${found.id}: relying parties that know this user by DOT's sub "${user.pk}" will see sub "${found.id}"`,
        )
      }
      continue
    }
    if (user.is_superuser) review.superusers.push(user.name)
    else if (user.is_staff) review.staff.push(user.name)
    users.push({
      id: user.pk,
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

  const applications: PlannedApplication[] = []
  const slowSecrets: SlowSecret[] = []
  const imported = new Map<number, string>() // application pk → client_id, for its tokens
  for (const application of dump.applications) {
    const name = `${label('oauth2_provider.application', application.pk)} ${JSON.stringify(application.client_id)}`
    const here = existing.get(application.client_id)
    if (here !== undefined) {
      // Merge: the application here stays as it is; the dump's tokens for it attach to it.
      imported.set(application.pk, application.client_id)
      review.attachedApplications.push(application.client_id)
      continue
    }
    const planned = await planApplication(application, name, warnings, options.clientSecrets ?? {})
    if (typeof planned === 'string') {
      warnings.push(`${name}: not imported: ${planned}`)
      skip('applications', 'settings this project does not support (see the warnings)')
      continue
    }
    imported.set(application.pk, application.client_id)
    const owner = target(application.user)
    attach(application.user, `application ${application.client_id}`)
    if (planned.skipAuthorization) {
      review.skipApplications.push({ clientId: planned.clientId, owner: owner?.username ?? null })
    }
    if (planned.djangoClientSecret !== null) {
      slowSecrets.push({ clientId: planned.clientId, hasher: describeHasher(planned.djangoClientSecret) })
    }
    applications.push({
      ...planned,
      userId: owner?.id ?? null,
      audit: auditMessage(application, planned, owner?.username ?? null, options.clientSecrets ?? {}),
    })
  }

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
    attach(token.user, 'access token')
    accessTokens.push({
      digest,
      userId: target(token.user)?.id ?? null,
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
    if (token.revoked === null) {
      extend(expiresAt)
      attach(token.user, 'refresh token')
    }
    refreshTokens.push({
      digest,
      accessTokenDigest: token.access_token === null ? null : (accessDigests.get(token.access_token) ?? null),
      userId: target(token.user)?.id ?? null,
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
    const owner = targets.get(key.user) as Target
    review.drfKeys.push({
      user: owner.username,
      existing: owner.existing,
      superuser: owner.superuser,
      staff: owner.staff,
    })
    attach(key.user, 'DRF key')
    drfKeys.push({ key: key.key, userId: owner.id, createdAt: key.created })
  }

  for (const [model, other] of dump.otherModels) skip(model, other.reason)
  review.attached = [...attached.values()].map((entry) => ({ ...entry, brings: counted(entry.brings) }))
  return {
    users,
    applications,
    existingApplications: existing,
    accessTokens,
    refreshTokens,
    drfKeys,
    review,
    slowSecrets,
    skipped: [...skipped.values()],
    warnings,
    tokensUntil,
  }
}

/** Nouns counted, in first-seen order: `DRF key`, `2 access tokens`. */
function counted(nouns: string[]): string[] {
  const counts = new Map<string, number>()
  for (const noun of nouns) counts.set(noun, (counts.get(noun) ?? 0) + 1)
  return [...counts].map(([noun, count]) => (count === 1 ? noun : `${count} ${noun}s`))
}

/** Every client secrets file entry names a confidential client of the dump and matches its secret. */
async function checkClientSecrets(dump: Dump, secrets: Record<string, string>): Promise<void> {
  const problems: string[] = []
  const byClientId = new Map(dump.applications.map((application) => [application.client_id, application]))
  for (const [clientId, secret] of Object.entries(secrets)) {
    const application = byClientId.get(clientId)
    const name = JSON.stringify(clientId)
    if (!application) problems.push(`${name}: the client secrets file names a client the dump does not hold`)
    else if (application.client_type !== 'confidential') problems.push(`${name}: a public client has no secret`)
    else {
      const matches = application.hash_client_secret
        ? await secretMatches(secret, application.client_secret)
        : secret === application.client_secret
      if (!matches) {
        problems.push(
          `${label('oauth2_provider.application', application.pk)} ${name}: the secret given for it in the client secrets file does not match`,
        )
      }
    }
  }
  if (problems.length > 0) throw new DumpError(problems)
}

/** The audit entry of an application's creation: what Django had it do, and how its secret is kept. */
function auditMessage(
  application: Application,
  planned: Omit<ImportedApplication, 'userId'>,
  owner: string | null,
  secrets: Record<string, string>,
): string {
  const list = (uris: string[]) => (uris.length > 0 ? uris.join(' ') : 'none')
  let secret = 'none (public client)'
  if (planned.clientType === 'confidential') {
    if (application.client_id in secrets) secret = 'stored as this server’s digest, from the client secrets file'
    else if (planned.djangoClientSecret !== null) {
      secret = `kept as Django’s hash (${planned.djangoClientSecret.split('$')[0]}) until its first use`
    } else secret = 'stored as this server’s digest (DOT kept it in clear)'
  }
  return [
    `Imported from Django (${label('oauth2_provider.application', application.pk)})`,
    `client type: ${planned.clientType}`,
    `grant: ${planned.grantTypes.join(' ')}`,
    `redirect URIs: ${list(planned.redirectUris)}`,
    `post-logout redirect URIs: ${list(planned.postLogoutRedirectUris)}`,
    `skip_authorization: ${planned.skipAuthorization ? 'on' : 'off'}`,
    `owner: ${owner ?? 'none'}`,
    `secret: ${secret}`,
  ].join('; ')
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
  secrets: Record<string, string>,
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
    const given = secrets[application.client_id]
    if (given !== undefined) clientSecretHash = await sha256Hex(given)
    else if (application.hash_client_secret) {
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

/** The digest of the first token of `family` seen, or null when this token is that first one (or has no family). */
function familyHead(heads: Map<string, string>, family: string | null, digest: string): string | null {
  if (family === null) return null
  const head = heads.get(family)
  if (head !== undefined) return head
  heads.set(family, digest)
  return null
}
