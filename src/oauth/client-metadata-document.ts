/**
 * @module
 * Client ID metadata documents (draft-ietf-oauth-client-id-metadata-document, as the MCP
 * authorization spec uses them): a client_id that is an https URL names a JSON document, served
 * by the client at that URL, that says what RFC 7591 registration would have said. With
 * CLIENT_ID_METADATA_DOCUMENTS=on the document is fetched (src/lib/public-fetch.ts: public https
 * hosts only, no redirects, at most 5 KB, 5 s) and checked here; the client then becomes an
 * ordinary application row (no owner, the authorization code grant only, consent always
 * asked), so tokens, revocation, the console and the CLI treat it like any other.
 *
 * - The row is the cache: `metadata_document_fresh_until` says until when the fetched document
 *   stands (the response's Cache-Control max-age, kept between 60 s and 24 h). Past it, the next
 *   use (authorization or token request) fetches the document again and updates the row; a
 *   document that can no longer be fetched or is no longer valid refuses the client. Failed
 *   fetches are not remembered (the draft forbids caching errors); the fetch rate limit bounds them.
 * - The document's `client_id` must be the URL exactly (no normalisation: the URL must already be
 *   in normal form, so what is fetched is what was sent); its redirect URIs follow the rules of
 *   every application (application-rules.ts); it cannot carry a secret, so it is a public client
 *   (`token_endpoint_auth_method` none or absent; PKCE is required as for any public client), or,
 *   with `private_key_jwt` and its public keys (`jwks` or `jwks_uri`, ./client-keys.ts), a
 *   confidential one that authenticates with signed assertions (./client-assertion.ts).
 * - An application whose client_id is a URL but that a person created (pre-registered, as the
 *   draft allows) is never fetched or changed here.
 */
import { eq, isNotNull } from 'drizzle-orm'
import type { Context } from 'hono'
import { z } from 'zod'
import type { Config } from '../config.ts'
import type { Db } from '../db/client.ts'
import { type Application, applications } from '../db/schema.ts'
import { CLIENT_CHALLENGE, OAuthError } from '../http/oauth.ts'
import { FetchRefused, fetchPublicJson } from '../lib/public-fetch.ts'
import { admitMetadataDocumentFetch, clientIp } from '../lib/rate-limit.ts'
import { config, db } from '../lib/request-context.ts'
import { nowSeconds } from '../lib/time.ts'
import type { AppEnv } from '../types.ts'
import {
  applicationProblems,
  clientNameProblem,
  MAX_REDIRECT_URI_LENGTH,
  MAX_REDIRECT_URIS,
} from './application-rules.ts'
import { findApplicationByClientId } from './applications.ts'
import { checkKeySet, jwksUriProblem, type PublicKeySet } from './client-keys.ts'

/** The draft's recommended limit ("Maximum Response Size"). */
const MAX_DOCUMENT_BYTES = 5 * 1024
const FETCH_TIMEOUT_MS = 5000
/** How long a fetched document stands: its Cache-Control max-age within these bounds, else the default. */
const FRESHNESS_SECONDS = { min: 60, max: 86_400, default: 3600 } as const
/** Seconds a client refused by the fetch limit is told to wait (the limiter's period, wrangler.toml). */
const FETCH_LIMIT_PERIOD_SECONDS = 60

/** Whether `clientId` is written as a URL: the only ids this module ever resolves. Minted ids never are. */
export function isUrlClientId(clientId: string): boolean {
  return clientId.includes('://')
}

/** draft "Client Identifier": https, a path, no dot segments, fragment or user info; here also normal form. */
function clientIdUrlProblem(clientId: string): string | null {
  if (clientId.length > MAX_REDIRECT_URI_LENGTH)
    return `a client_id URL has at most ${MAX_REDIRECT_URI_LENGTH} characters.`
  if (!clientId.startsWith('https://')) return 'a client_id URL must use https.'
  let url: URL
  try {
    url = new URL(clientId)
  } catch {
    return 'the client_id is not a valid URL.'
  }
  if (url.username !== '' || url.password !== '') return 'a client_id URL may not contain a user name or password.'
  if (clientId.includes('#')) return 'a client_id URL may not contain a fragment.'
  if (url.pathname === '/') return 'a client_id URL must have a path (the document’s, not the site’s root).'
  // The URL parser removes dot segments, lowercases the host, drops a default port: a client_id
  // it would change is not one the document can match exactly (the draft: clients normalise).
  if (url.href !== clientId) return `a client_id URL must be in normal form (${url.href}).`
  return null
}

const httpsUrl = z
  .string()
  .max(MAX_REDIRECT_URI_LENGTH)
  .refine((value) => URL.canParse(value) && new URL(value).protocol === 'https:', 'must be an https URL')

/** The metadata this server uses (RFC 7591 §2 names); everything else in the document is ignored. */
const MetadataDocumentSchema = z.object({
  client_id: z.string(),
  redirect_uris: z.array(z.string()).min(1, 'at least one is required').max(MAX_REDIRECT_URIS),
  // The draft: no method built on a shared secret, since a public document cannot hold one;
  // private_key_jwt with the client's public keys (jwks or jwks_uri) is the way to authenticate.
  token_endpoint_auth_method: z
    .string()
    .refine(
      (method) => method === 'none' || method === 'private_key_jwt',
      'must be none or private_key_jwt: a metadata document cannot carry a client secret',
    )
    .optional(),
  jwks: z.unknown().optional(),
  jwks_uri: z.string().optional(),
  client_secret: z.undefined({ error: 'may not appear in a metadata document' }).optional(),
  client_secret_expires_at: z.undefined({ error: 'may not appear in a metadata document' }).optional(),
  grant_types: z
    .array(
      z.enum(['authorization_code', 'refresh_token'], {
        error: 'only authorization_code and refresh_token are available to these clients',
      }),
    )
    .refine((grants) => grants.includes('authorization_code'), 'must include authorization_code')
    .optional(),
  response_types: z
    .array(z.string())
    .refine((types) => types.length === 1 && types[0] === 'code', 'must be ["code"]')
    .optional(),
  client_name: z
    .string()
    .transform((name) => name.trim())
    .superRefine((name, context) => {
      const problem = clientNameProblem(name)
      if (problem) context.addIssue({ code: 'custom', message: problem })
    })
    .optional(),
  client_uri: httpsUrl.optional(),
  logo_uri: httpsUrl.optional(),
})

type MetadataDocument = {
  name: string
  redirectUris: string[]
  /** private_key_jwt: a confidential client, its keys or where they are; null: a public client. */
  keys: { jwks: PublicKeySet | null; jwksUri: string | null } | null
}

/** The document's keys (RFC 7591 §2 jwks / jwks_uri, by the registration rules), for private_key_jwt only. */
function documentKeys(document: { token_endpoint_auth_method?: string; jwks?: unknown; jwks_uri?: string }) {
  const { jwks, jwks_uri: jwksUri } = document
  if (document.token_endpoint_auth_method !== 'private_key_jwt') {
    if (jwks !== undefined || jwksUri !== undefined) {
      throw new FetchRefused('The document’s jwks and jwks_uri are used with private_key_jwt only.')
    }
    return null
  }
  if ((jwks === undefined) === (jwksUri === undefined)) {
    throw new FetchRefused(
      'The document’s private_key_jwt needs the client’s public keys: jwks or jwks_uri, one of them.',
    )
  }
  if (jwksUri !== undefined) {
    const problem = jwksUriProblem(jwksUri)
    if (problem) throw new FetchRefused(`The document’s ${problem}`)
    return { jwks: null, jwksUri }
  }
  const set = checkKeySet(jwks)
  if (typeof set === 'string') throw new FetchRefused(`The document’s ${set}`)
  return { jwks: set, jwksUri: null }
}

/** The client the document at `clientId` describes, or the reason it describes none. */
function checkDocument(clientId: string, body: unknown): MetadataDocument {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new FetchRefused('The document is not a JSON object.')
  }
  const parsed = MetadataDocumentSchema.safeParse(body)
  if (!parsed.success) {
    const [issue] = parsed.error.issues
    throw new FetchRefused(`The document’s ${issue.path.join('.') || 'content'} ${issue.message}.`)
  }
  const document = parsed.data
  // The draft: simple string comparison (RFC 3986 §6.2.1), so a document cannot speak for another URL.
  if (document.client_id !== clientId) throw new FetchRefused('The document’s client_id is not its own URL.')
  const keys = documentKeys(document)
  const problems = applicationProblems({
    clientType: keys ? 'confidential' : 'public',
    grantTypes: ['authorization-code'],
    redirectUris: document.redirect_uris,
  })
  if (problems) {
    const [field, messages] = Object.entries(problems)[0]
    throw new FetchRefused(`The document’s ${field}: ${messages[0]}`)
  }
  return {
    name: document.client_name || new URL(clientId).host,
    redirectUris: [...new Set(document.redirect_uris)],
    keys,
  }
}

/** Until when a document fetched `now` stands: its freshness clamped, the default when it gave none. */
function freshUntil(freshFor: number | null, now: number): number {
  const seconds = freshFor ?? FRESHNESS_SECONDS.default
  return now + Math.min(FRESHNESS_SECONDS.max, Math.max(FRESHNESS_SECONDS.min, seconds))
}

/** Whether `application` came from a metadata document (its client_id is the document's URL). */
export function isMetadataDocumentClient(application: Application): boolean {
  return application.metadataDocumentFreshUntil !== null
}

/** What resolving a client needs from the request. */
export type MetadataDocumentContext = {
  /** The primary database: the client's row is written there. */
  db: Db
  config: Config
  /** This server's own hosts (the request's, the issuer's): a document there is never fetched. */
  ownHosts: string[]
  /** Counts one fetch against the caller; false when over the limit. */
  admitFetch: () => Promise<boolean>
}

/** What resolving a client ID metadata document needs: fetches counted per client address. */
export function metadataDocumentContext<E extends AppEnv>(c: Context<E>): MetadataDocumentContext {
  const { issuer } = config(c)
  return {
    db: db(c),
    config: config(c),
    ownHosts: [new URL(c.req.url).host, ...(issuer === null ? [] : [new URL(issuer).host])],
    admitFetch: () => admitMetadataDocumentFetch(c.env, clientIp(c)),
  }
}

/** A client the server cannot trust: the caller words it (an error page, or 401 at the token endpoint). */
function refuse(description: string): never {
  throw new OAuthError('invalid_client', description, {
    status: 401,
    headers: { 'WWW-Authenticate': CLIENT_CHALLENGE },
  })
}

/**
 * The application `clientId` stands for, given the row `seen` read for it (perhaps from a replica).
 * A row a person made is returned as it is. Otherwise, with the setting off, nothing (a client
 * from a document is then unknown, as every URL client_id); with it on, a fresh document's row, or
 * the document fetched again and the row created or refreshed from it. Throws OAuthError
 * invalid_client with the reason when the document cannot be used, slow_down (429) past the
 * fetch limit. Only URL client_ids (`isUrlClientId`) are worth calling it for.
 */
export async function resolveUrlClient(
  context: MetadataDocumentContext,
  clientId: string,
  seen: Application | undefined,
  now = nowSeconds(),
): Promise<Application | undefined> {
  if (seen && !isMetadataDocumentClient(seen)) return seen
  if (!context.config.clientIdMetadataDocuments) return undefined
  if (seen?.metadataDocumentFreshUntil && seen.metadataDocumentFreshUntil > now) return seen

  const problem = clientIdUrlProblem(clientId)
  if (problem) refuse(`Unknown client_id; as a client ID metadata document URL, ${problem}`)
  if (context.ownHosts.includes(new URL(clientId).host)) {
    refuse('A client ID metadata document is not fetched from this server.')
  }
  if (!(await context.admitFetch())) {
    throw new OAuthError('slow_down', 'Too many client metadata documents fetched; retry later.', {
      status: 429,
      headers: { 'Retry-After': String(FETCH_LIMIT_PERIOD_SECONDS) },
    })
  }
  let document: MetadataDocument
  let freshFor: number | null
  try {
    const fetched = await fetchPublicJson(clientId, { maxBytes: MAX_DOCUMENT_BYTES, timeoutMs: FETCH_TIMEOUT_MS })
    document = checkDocument(clientId, fetched.body)
    freshFor = fetched.freshFor
  } catch (error) {
    if (!(error instanceof FetchRefused)) throw error
    refuse(`The client’s metadata document cannot be used: ${error.message}`)
  }
  return storeClient(context.db, clientId, document, freshUntil(freshFor, now))
}

/**
 * At the token endpoint, for a URL client_id: a client from a metadata document must still be
 * known (the setting on) and its document current, fetched again once stale; invalid_client
 * (401) otherwise. Any other client (none by that id, or one a person made) is left to client
 * authentication. `reads` may be a replica: a row it lacks (created a moment ago) is fresh anyway.
 */
export async function requireCurrentUrlClient(
  context: MetadataDocumentContext,
  reads: Db,
  clientId: string,
): Promise<void> {
  const seen = await findApplicationByClientId(reads, clientId)
  if (seen && !(await resolveUrlClient(context, clientId, seen))) refuse('Client authentication failed.')
}

/**
 * Creates the client's row or refreshes it from its document, in one statement (two first uses
 * at once make one row). A row a person made with the same client_id is never overwritten.
 */
async function storeClient(
  db: Db,
  clientId: string,
  document: MetadataDocument,
  until: number,
): Promise<Application | undefined> {
  // What the document says the client is: public, or (private_key_jwt) confidential with keys.
  const credentials = {
    clientType: document.keys ? 'confidential' : 'public',
    tokenEndpointAuthMethod: document.keys ? 'private_key_jwt' : 'none',
    jwks: document.keys?.jwks ? JSON.stringify(document.keys.jwks) : null,
    jwksUri: document.keys?.jwksUri ?? null,
  } as const
  const stored = await db
    .insert(applications)
    .values({
      clientId,
      name: document.name,
      grantTypes: ['authorization-code'],
      redirectUris: document.redirectUris,
      userId: null,
      skipAuthorization: false,
      ...credentials,
      metadataDocumentFreshUntil: until,
    })
    .onConflictDoUpdate({
      target: applications.clientId,
      set: {
        name: document.name,
        redirectUris: document.redirectUris,
        ...credentials,
        metadataDocumentFreshUntil: until,
        updatedAt: new Date(),
      },
      setWhere: isNotNull(applications.metadataDocumentFreshUntil),
    })
    .returning()
    .get()
  return stored ?? db.select().from(applications).where(eq(applications.clientId, clientId)).get()
}
