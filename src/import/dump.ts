/**
 * @module
 * Step 1 of `manage import-django` (./django.ts): every record of the dump checked against its
 * model's shape (zod), and every reference between records resolved, before anything is read or
 * written. A malformed or inconsistent dump stops here, naming each bad record and why.
 */
import { z } from 'zod'
import { isValidUsername, normalizeUsername, usernameKey } from '../accounts/usernames.ts'

/** A dump that cannot be imported: every problem found, each naming its record. */
export class DumpError extends Error {
  readonly problems: string[]

  constructor(problems: string[], heading = 'The dump was not imported (nothing was written)') {
    super(`${heading}:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
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
  'oauth2_provider.devicegrant': 'device codes live for minutes; devices ask again',
}

type User = z.infer<typeof USER> & { pk: number; name: string; key: string }
export type Application = z.infer<typeof APPLICATION> & { pk: number }
type AccessToken = z.infer<typeof ACCESS_TOKEN> & { pk: number }
type RefreshToken = z.infer<typeof REFRESH_TOKEN> & { pk: number }
type DrfKey = z.infer<typeof DRF_KEY> & { key: string }

export type Dump = {
  users: User[]
  applications: Application[]
  accessTokens: AccessToken[]
  refreshTokens: RefreshToken[]
  drfKeys: DrfKey[]
  /** Records of models not imported: count per model, and why. */
  otherModels: Map<string, { count: number; reason: string }>
}

export function label(model: string, key: unknown): string {
  return `${model} pk=${JSON.stringify(key)}`
}

function issues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(record)'}: ${issue.message}`).join('; ')
}

/**
 * The dump checked whole. Throws a DumpError listing every malformed record and every
 * reference to a record the dump does not hold.
 */
export function parseDump(data: unknown): Dump {
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
