/**
 * @module
 * OAuth2 applications (DOT's Application model). The client secret is shown once, at
 * creation, and stored only as a SHA-256 digest. Lists are stored each value once; whether
 * the values are allowed is application-rules.ts's job, and who may change what is
 * application-changes.ts's (which audits it): both checked by the callers that take them from
 * people (the console, the management API and pages, the CLI).
 */
import { and, count, desc, eq, inArray, isNotNull, or, type SQL, sql } from 'drizzle-orm'
import type { BatchItem } from 'drizzle-orm/batch'
import { slowestHashColumns } from '../accounts/password-timing.ts'
import { sha256Hex } from '../crypto/digest.ts'
import { randomString } from '../crypto/random.ts'
import type { SigningAlgorithm } from '../crypto/signing-keys.ts'
import { mintClientSecret } from '../crypto/token-format.ts'
import { chunks, rowsPerStatement } from '../db/batching.ts'
import type { Db } from '../db/client.ts'
import { type Order, type Orders, orderTerms } from '../db/ordering.ts'
import type { PagedQuery } from '../db/paging.ts'
import { type Application, type ApplicationGrant, applications, users } from '../db/schema.ts'
import { contains } from '../db/search.ts'
import { fencedChange } from '../tokens/fan-out.ts'
import { deleteApplicationTokens } from '../tokens/revocation.ts'
import type { TokenStore } from '../tokens/store.ts'
import { distinct } from './application-rules.ts'
import type { PublicKeySet } from './client-keys.ts'

export { APPLICATION_GRANTS, type ApplicationGrant } from '../db/schema.ts'
export const CLIENT_TYPES = ['confidential', 'public'] as const

/** Whether the application was registered for `grant` (DOT's allows_grant_type). */
export function allowsGrant(application: Pick<Application, 'grantTypes'>, grant: ApplicationGrant): boolean {
  return application.grantTypes.includes(grant)
}

export type NewApplication = {
  name: string
  clientType: (typeof CLIENT_TYPES)[number]
  grantTypes: ApplicationGrant[]
  redirectUris?: string[]
  userId?: number | null
  skipAuthorization?: boolean
  /** id_token signing algorithm (DOT's `algorithm`); RS256 when absent. */
  algorithm?: SigningAlgorithm
  /** Where RP-initiated logout may send the browser back to. */
  postLogoutRedirectUris?: string[]
  /** A designated resource server: may introspect any token (staff only: the CLI sets it). */
  canIntrospect?: boolean
  /** A resource server's own RFC 8707 resource, in normal form: it then learns only of tokens for it. */
  resource?: string | null
  /** Generated when absent (40 alphanumeric characters, as DOT). */
  clientId?: string
  /** Generated for confidential clients when absent; null: none (a client holding only a key); public clients have none. */
  clientSecret?: string | null
  /** Public keys for private_key_jwt (./client-keys.ts, already checked): a JWK Set, or where to fetch one. */
  jwks?: PublicKeySet
  jwksUri?: string
  /** RFC 9126 §6: its authorization requests must be pushed (/o/par/). */
  requirePushedAuthorizationRequests?: boolean
  /** RFC 9449 §5.2: every token request must carry a DPoP proof. */
  dpopBoundAccessTokens?: boolean
  /** Set for clients that registered themselves (src/oauth/registration.ts). */
  registration?: Pick<
    Application,
    'registrationTokenHash' | 'tokenEndpointAuthMethod' | 'applicationType' | 'registeredScope'
  >
}

export type CreatedApplication = Application & { clientSecret: string | null }

/**
 * Inserts the application; `also(clientId)`: statements for the same batch, after the insert
 * (its audit row, naming it by `applicationIdByClientId`).
 */
export async function createApplication(
  db: Db,
  input: NewApplication,
  also?: (clientId: string) => BatchItem<'sqlite'>[],
): Promise<CreatedApplication> {
  // A client that authenticates with its keys alone (private_key_jwt) is created with `clientSecret: null`.
  const clientSecret =
    input.clientType === 'public' ? null : input.clientSecret === undefined ? mintClientSecret() : input.clientSecret
  const clientId = input.clientId ?? randomString(40)
  const insert = db
    .insert(applications)
    .values({
      name: input.name,
      clientType: input.clientType,
      grantTypes: distinct(input.grantTypes),
      redirectUris: distinct(input.redirectUris ?? []),
      userId: input.userId ?? null,
      skipAuthorization: input.skipAuthorization ?? false,
      algorithm: input.algorithm ?? 'RS256',
      postLogoutRedirectUris: distinct(input.postLogoutRedirectUris ?? []),
      canIntrospect: input.canIntrospect ?? false,
      resource: input.resource ?? null,
      clientId,
      clientSecretHash: clientSecret === null ? '' : await sha256Hex(clientSecret),
      requirePushedAuthorizationRequests: input.requirePushedAuthorizationRequests ?? false,
      dpopBoundAccessTokens: input.dpopBoundAccessTokens ?? false,
      jwks: input.jwks === undefined ? null : JSON.stringify(input.jwks),
      jwksUri: input.jwksUri ?? null,
      ...input.registration,
    })
    .returning()
  const [[application]] = await db.batch([insert, ...(also?.(clientId) ?? [])])
  return { ...application, clientSecret }
}

/** The id of the application with this client_id, as SQL for a batch (one the batch inserts). */
export function applicationIdByClientId(db: Db, clientId: string): SQL {
  return sql`(${db.select({ id: applications.id }).from(applications).where(eq(applications.clientId, clientId))})`
}

/** An application brought over from DOT (`manage import-django`), its settings already checked. */
export type ImportedApplication = {
  clientId: string
  /** The digest of a plaintext (DOT 1.x) secret; '' when none. */
  clientSecretHash: string
  /** Django's hash of a DOT ≥ 2 secret, until the client first authenticates with it. */
  djangoClientSecret: string | null
  name: string
  clientType: (typeof CLIENT_TYPES)[number]
  grantTypes: ApplicationGrant[]
  redirectUris: string[]
  userId: number | null
  skipAuthorization: boolean
  algorithm: SigningAlgorithm
  postLogoutRedirectUris: string[]
  createdAt: Date
  updatedAt: Date
}

// The thirteen fields and can_introspect's default (bound by drizzle).
const IMPORTED_APPLICATION_COLUMNS = 14

/**
 * INSERT statements for imported applications. A client_id already registered fails the statement
 * (and its batch): the import checked it is free, so one taken since is someone else's.
 */
export function importApplicationStatements(db: Db, rows: ImportedApplication[]) {
  return chunks(rows, rowsPerStatement(IMPORTED_APPLICATION_COLUMNS)).map((chunk) =>
    db
      .insert(applications)
      .values(
        chunk.map((row) => ({
          ...row,
          grantTypes: distinct(row.grantTypes),
          redirectUris: distinct(row.redirectUris),
          postLogoutRedirectUris: distinct(row.postLogoutRedirectUris),
        })),
      )
      .returning({ id: applications.id }),
  )
}

/** The applications with any of these client_ids, as reads to batch. */
export function applicationsByClientIdsQueries(db: Db, clientIds: string[]) {
  return chunks(clientIds, 100).map((chunk) =>
    db
      .select({
        id: applications.id,
        clientId: applications.clientId,
        name: applications.name,
        createdAt: applications.createdAt,
      })
      .from(applications)
      .where(inArray(applications.clientId, chunk)),
  )
}

export async function findApplicationByClientId(db: Db, clientId: string): Promise<Application | undefined> {
  return db.select().from(applications).where(eq(applications.clientId, clientId)).get()
}

/** The applications `userId` owns, newest first. */
export async function listOwnApplications(db: Db, userId: number): Promise<Application[]> {
  return db.select().from(applications).where(eq(applications.userId, userId)).orderBy(desc(applications.id))
}

/** listOwnApplications a page at a time (src/db/paging.ts). */
export function ownApplicationPages(db: Db, userId: number): PagedQuery<Application> {
  const where = eq(applications.userId, userId)
  return {
    count: db.select({ total: count() }).from(applications).where(where),
    rows: ({ limit, offset }) =>
      db.select().from(applications).where(where).orderBy(desc(applications.id)).limit(limit).offset(offset),
  }
}

/** An application by id when `userId` owns it; others' applications do not exist for them. */
export async function findOwnApplication(db: Db, userId: number, id: number): Promise<Application | undefined> {
  if (!Number.isSafeInteger(id)) return undefined
  return db
    .select()
    .from(applications)
    .where(and(eq(applications.id, id), eq(applications.userId, userId)))
    .get()
}

type ApplicationChanges = {
  name?: string
  grantTypes?: ApplicationGrant[]
  redirectUris?: string[]
  skipAuthorization?: boolean
}

function changedValues(changes: ApplicationChanges): Partial<typeof applications.$inferInsert> {
  const values: Partial<typeof applications.$inferInsert> = { updatedAt: new Date() }
  if (changes.name !== undefined) values.name = changes.name
  if (changes.grantTypes !== undefined) values.grantTypes = distinct(changes.grantTypes)
  if (changes.redirectUris !== undefined) values.redirectUris = distinct(changes.redirectUris)
  if (changes.skipAuthorization !== undefined) values.skipAuthorization = changes.skipAuthorization
  return values
}

/** What the operator console may change on any application, beyond what the management API may. */
export type StaffApplicationChanges = ApplicationChanges & {
  postLogoutRedirectUris?: string[]
  clientType?: (typeof CLIENT_TYPES)[number]
  /** RFC 9126 §6. */
  requirePushedAuthorizationRequests?: boolean
}

/**
 * Changes an application (the caller decided who may: src/oauth/application-changes.ts), in one
 * batch with `also`. A client made public loses its secret; one made confidential gets a new
 * secret, returned to be shown once. Either way an imported Django secret ends: any new secret
 * ends the old one, and a public client has none. A new client type or new grant types move the
 * application's generation on behind a fence in every token shard (src/tokens/fences.ts), so a
 * grant that read the application before the change writes nothing.
 */
export async function updateApplication(
  store: TokenStore,
  current: Application,
  changes: StaffApplicationChanges,
  also: BatchItem<'sqlite'>[] = [],
): Promise<{ application: Application; clientSecret: string | null } | undefined> {
  const { db } = store
  const values = changedValues(changes)
  if (changes.postLogoutRedirectUris !== undefined) {
    values.postLogoutRedirectUris = distinct(changes.postLogoutRedirectUris)
  }
  if (changes.requirePushedAuthorizationRequests !== undefined) {
    values.requirePushedAuthorizationRequests = changes.requirePushedAuthorizationRequests
  }
  let clientSecret: string | null = null
  if (changes.clientType !== undefined && changes.clientType !== current.clientType) {
    values.clientType = changes.clientType
    clientSecret = changes.clientType === 'confidential' ? mintClientSecret() : null
    values.clientSecretHash = clientSecret === null ? '' : await sha256Hex(clientSecret)
    values.djangoClientSecret = null
  }
  const grants = values.grantTypes
  const fenced =
    values.clientType !== undefined ||
    (grants !== undefined && [...grants].sort().join(' ') !== [...current.grantTypes].sort().join(' '))
  const update = db
    .update(applications)
    .set(fenced ? { ...values, generation: sql`${applications.generation} + 1` } : values)
    .where(eq(applications.id, current.id))
    .returning()
  const [application] = fenced
    ? (
        (await fencedChange(store, {
          fenced: { application: current.id },
          until: 'next',
          change: [update],
          audit: also,
        })) as Application[][]
      )[0]
    : (await db.batch([update, ...also]))[0]
  return application ? { application, clientSecret } : undefined
}

export type ApplicationListing = { application: Application; ownerUsername: string | null }

export type ApplicationOrderKey = 'name' | 'created'

/** The console's orders of the applications list (`?o=`), each on an index: newest first by default, or by name. */
export const APPLICATION_ORDERS: Orders<ApplicationOrderKey> = {
  columns: { name: applications.name, created: applications.createdAt },
  id: applications.id,
  fallback: { key: 'created', descending: true },
}

/**
 * The operator console's application list: every owner's, newest first unless `order` says
 * otherwise, whose name, client_id or owner's username contains `query` (case-insensitive for
 * ASCII), a page at a time. Every character of the query is taken literally (src/db/search.ts).
 */

export function applicationSearch(
  db: Db,
  query: string,
  order: Order<ApplicationOrderKey> = APPLICATION_ORDERS.fallback,
): PagedQuery<ApplicationListing> {
  const where = query
    ? or(contains(applications.name, query), contains(applications.clientId, query), contains(users.username, query))
    : undefined
  return {
    count: db
      .select({ total: count() })
      .from(applications)
      .leftJoin(users, eq(users.id, applications.userId))
      .where(where),
    rows: ({ limit, offset }) =>
      db
        .select({ application: applications, ownerUsername: users.username })
        .from(applications)
        .leftJoin(users, eq(users.id, applications.userId))
        .where(where)
        .orderBy(...orderTerms(APPLICATION_ORDERS, order))
        .limit(limit)
        .offset(offset),
  }
}

/**
 * Deletes an application, in one batch with `also`, after its tokens and codes in every token
 * database (purged from the cache tiers), behind a fence that refuses for ever a grant that read it.
 */
export async function deleteApplication(
  store: TokenStore,
  id: number,
  also: BatchItem<'sqlite'>[] = [],
): Promise<void> {
  await deleteApplicationTokens(store, id, store.db.delete(applications).where(eq(applications.id, id)), also)
}

/** Every application with its owner's username (`manage listapplications`), oldest first. */
export async function listApplications(db: Db) {
  return db
    .select({
      id: applications.id,
      clientId: applications.clientId,
      name: applications.name,
      clientType: applications.clientType,
      grantTypes: applications.grantTypes,
      owner: users.username,
    })
    .from(applications)
    .leftJoin(users, eq(users.id, applications.userId))
    .orderBy(applications.id)
}

/**
 * A new secret for a confidential application, shown once, in one batch with `also` (the caller
 * checked the client is confidential); null when it is not found or public. The generation moves
 * on behind a fence in every token shard: a grant authenticated with the old secret from a
 * replica that had not seen the new one writes nothing (src/tokens/fences.ts).
 */
export async function rotateApplicationSecret(
  store: TokenStore,
  id: number,
  also: BatchItem<'sqlite'>[] = [],
): Promise<string | null> {
  const { db } = store
  const clientSecret = mintClientSecret()
  const [updated] = (
    await fencedChange(store, {
      fenced: { application: id },
      until: 'next',
      change: [
        db
          .update(applications)
          // An imported Django hash of the old secret goes too, or the old secret would still authenticate.
          .set({
            clientSecretHash: await sha256Hex(clientSecret),
            djangoClientSecret: null,
            updatedAt: new Date(),
            generation: sql`${applications.generation} + 1`,
          })
          .where(and(eq(applications.id, id), eq(applications.clientType, 'confidential')))
          .returning({ id: applications.id }),
      ],
      audit: also,
    })
  )[0] as { id: number }[]
  return updated ? clientSecret : null
}

/**
 * An imported client proved its secret against Django's hash (src/oauth/client-auth.ts): from now on
 * it is checked by its digest. Only if the Django hash is still the one verified (a concurrent
 * rotation wins).
 */
export async function adoptClientSecretDigest(db: Db, application: Application, digest: string): Promise<void> {
  const { djangoClientSecret } = application
  if (djangoClientSecret === null) return
  await db
    .update(applications)
    .set({ clientSecretHash: digest, djangoClientSecret: null })
    .where(and(eq(applications.id, application.id), eq(applications.djangoClientSecret, djangoClientSecret)))
  application.clientSecretHash = digest
  application.djangoClientSecret = null
}

/**
 * The slowest imported Django client secrets still stored (only those rows: a partial index), for
 * the time floor of a failed client authentication (src/oauth/client-auth.ts).
 */
export function slowestClientSecretQuery(db: Db) {
  return db
    .select(slowestHashColumns(applications.djangoClientSecret))
    .from(applications)
    .where(isNotNull(applications.djangoClientSecret))
}

/** An application by its primary key (e.g. an access token's), or undefined. */
export async function findApplicationById(db: Db, id: number): Promise<Application | undefined> {
  if (!Number.isSafeInteger(id)) return undefined
  return db.select().from(applications).where(eq(applications.id, id)).get()
}

/**
 * Replaces the public keys an application authenticates with by private_key_jwt (already checked,
 * src/oauth/client-keys.ts): a JWK Set, a jwks_uri, or none (null). The keys of a confidential client only.
 */
export async function setApplicationKeys(
  db: Db,
  id: number,
  keys: ApplicationKeys | null,
  also: BatchItem<'sqlite'>[] = [],
): Promise<boolean> {
  const [[updated]] = await db.batch([
    db
      .update(applications)
      .set({
        jwks: keys?.jwks === undefined ? null : JSON.stringify(keys.jwks),
        jwksUri: keys?.jwksUri ?? null,
        updatedAt: new Date(),
      })
      .where(and(eq(applications.id, id), eq(applications.clientType, 'confidential')))
      .returning({ id: applications.id }),
    ...also,
  ])
  return updated !== undefined
}

export type ApplicationKeys = { jwks: PublicKeySet; jwksUri?: undefined } | { jwks?: undefined; jwksUri: string }

/** How a client proves itself at the token endpoint, as pages name it. */
export type ClientAuthentication =
  | 'none'
  | 'client_secret'
  | 'private_key_jwt'
  | 'client_secret or private_key_jwt'
  | 'nothing'

/**
 * How the application authenticates: a public client does not (`none`); a confidential one with
 * its secret, its keys (private_key_jwt), either, or (`nothing`) neither, until it gets one. A
 * method it registered (RFC 7591 §2) narrows it to that one.
 */
export function clientAuthentication(
  application: Pick<
    Application,
    'clientType' | 'clientSecretHash' | 'djangoClientSecret' | 'jwks' | 'jwksUri' | 'tokenEndpointAuthMethod'
  >,
): ClientAuthentication {
  if (application.clientType === 'public') return 'none'
  const secret = application.clientSecretHash !== '' || application.djangoClientSecret !== null
  const keys = application.jwks !== null || application.jwksUri !== null
  const method = application.tokenEndpointAuthMethod
  const bySecret = secret && (method === null || method.startsWith('client_secret'))
  const byKeys = keys && (method === null || method === 'private_key_jwt')
  if (bySecret && byKeys) return 'client_secret or private_key_jwt'
  return bySecret ? 'client_secret' : byKeys ? 'private_key_jwt' : 'nothing'
}
