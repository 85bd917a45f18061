/**
 * @module
 * Typed, validated settings from the Worker's environment (`.dev.vars` locally; secrets or vars
 * of the deployed Worker), checked before anything is served (checkSettings).
 * The one home of every setting's default: a deployment sets only what it changes (where:
 * docs/configuration.md, which describes each setting).
 */
import { z } from 'zod'
import { normalizeResourceUri, splitResourceList } from './lib/resource-uri.ts'
import { parseScope, SCOPE_TOKEN } from './lib/scope.ts'
import type { CacheSettings } from './tokens/cache.ts'
import { parseShardRoutes, type ShardBinding, type ShardRoutes, shardBindings } from './tokens/shards.ts'

const DEFAULT_SITE_NAME = 'Edge OAuth Toolkit'

const seconds = (fallback: number) => z.coerce.number().int().positive().default(fallback)
const secondsOrOff = (fallback: number) => z.coerce.number().int().min(0).max(3600).default(fallback)
const flag = z.preprocess((value) => value === true || value === 'true' || value === '1', z.boolean())

const SettingsSchema = z.object({
  ACCESS_TOKEN_EXPIRE_SECONDS: seconds(86400),
  REFRESH_TOKEN_EXPIRE_SECONDS: seconds(1209600),
  // DOT's default; RFC 6749 §4.1.2 recommends at most 10 minutes.
  AUTHORIZATION_CODE_EXPIRE_SECONDS: seconds(60),
  // RFC 8628 §3.2 expires_in and interval: how long a device code lives, and the polling pace.
  DEVICE_CODE_EXPIRE_SECONDS: seconds(600),
  DEVICE_CODE_INTERVAL_SECONDS: seconds(5),
  // RFC 9126 §2.2 expires_in: how long a pushed request's request_uri may be used ("typically
  // between 5 and 600 seconds"; FAPI 2.0 asks for less than 600). It covers a login and the consent page.
  PUSHED_AUTHORIZATION_REQUEST_EXPIRE_SECONDS: z.coerce.number().int().min(5).max(600).default(300),
  // RFC 9126 §5: every authorization request must be pushed (/o/par/); per client: require_pushed_authorization_requests.
  REQUIRE_PUSHED_AUTHORIZATION_REQUESTS: flag.default(false),
  REFRESH_TOKEN_GRACE_PERIOD_SECONDS: z.coerce.number().int().min(0).default(0),
  // RFC 7636 §4.2: `plain` only for clients that cannot do S256; off unless allowed.
  PKCE_ALLOW_PLAIN: flag.default(false),
  // Django's SESSION_COOKIE_AGE: two weeks.
  SESSION_COOKIE_AGE: seconds(1209600),
  SCOPES: z
    .preprocess(
      (value, context) => {
        if (typeof value !== 'string') return value
        try {
          return JSON.parse(value)
        } catch {
          context.addIssue({ code: 'custom', message: 'not a JSON object of scope names and descriptions' })
          return z.NEVER
        }
      },
      z.record(z.string().regex(SCOPE_TOKEN), z.string()),
    )
    .default({
      read: 'Read scope',
      write: 'Write scope',
      groups: 'Access to your groups',
      // Granted only to designated resource servers: it lets a client introspect others' tokens.
      introspection: 'Introspect tokens',
      openid: 'OpenID Connect',
      profile: 'Your name and username',
      email: 'Your email address',
      // OIDC Core §11: asks for a refresh token. Refresh tokens are issued as in DOT either way.
      offline_access: 'Stay connected while you are away (a refresh token)',
    }),
  // Granted when a request names no scope (DOT's DEFAULT_SCOPES); never `introspection` or OIDC's.
  DEFAULT_SCOPES: z.string().default('read write groups'),
  PAGE_SIZE: z.coerce.number().int().min(1).max(1000).default(20),
  // The name in every page's header and title (Django admin's site_header).
  SITE_NAME: z.string().trim().min(1).max(100).default(DEFAULT_SITE_NAME),
  // DOT's default ID_TOKEN_EXPIRE_SECONDS.
  ID_TOKEN_EXPIRE_SECONDS: seconds(36000),
  // How long an ID-JAG this server issues as an enterprise IdP (RFC 8693 token exchange) may be
  // presented: the draft's examples use 300 s; at most an hour, the most an ID-JAG is accepted for here.
  ID_JAG_EXPIRE_SECONDS: z.coerce.number().int().min(10).max(3600).default(300),
  // OIDC Discovery 1.0 §3: the issuer is a URL with no query or fragment.
  ISSUER: z
    .url({ protocol: /^https?$/ })
    .refine((value) => !/[?#]/.test(value), 'must have no query or fragment')
    .optional(),
  // Isolate-memory token cache (src/tokens/cache.ts): a revoked token may still be accepted
  // by another isolate for at most TOKEN_MEMORY_CACHE_SECONDS. 0 turns the tier off.
  TOKEN_MEMORY_CACHE_SECONDS: secondsOrOff(5),
  TOKEN_MEMORY_CACHE_ENTRIES: z.coerce.number().int().min(0).max(100_000).default(10_000),
  TOKEN_NEGATIVE_CACHE_SECONDS: secondsOrOff(60),
  // Tokens minted before the keyed format (src/crypto/token-format.ts) are accepted until this
  // ISO 8601 time; unset: for ever. Deploy time + REFRESH_TOKEN_EXPIRE_SECONDS outlives them all.
  LEGACY_TOKEN_FORMAT_UNTIL: z.union([z.iso.datetime({ offset: true }), z.iso.date()]).optional(),
  // RFC 7591 dynamic client registration at /o/register/ (src/oauth/registration.ts). Off unless
  // a deployment opens it: anyone who can register a client chooses the name the consent page shows.
  CLIENT_REGISTRATION: z.enum(['off', 'open', 'initial-access-token']).default('off'),
  // The initial access token (RFC 7591 §3) the `initial-access-token` policy requires; a secret.
  CLIENT_REGISTRATION_INITIAL_ACCESS_TOKEN: z.string().min(32).optional(),
  // A registered client unused (no token request) this long is deleted by the cron cleanup; 0: never.
  CLIENT_REGISTRATION_UNUSED_EXPIRE_SECONDS: z.coerce.number().int().min(0).default(2_592_000),
  // A client_id that is an https URL names its own metadata document, fetched from there
  // (src/oauth/client-metadata-document.ts). Off unless a deployment serves such clients (MCP):
  // on, anyone may send users here with a client nobody approved, and the server fetches URLs
  // that strangers choose.
  CLIENT_ID_METADATA_DOCUMENTS: z.enum(['on', 'off']).default('off'),
  // Tokens imported from django-oauth-toolkit (`manage import-django`, which prints the value to set:
  // the last imported token's expiry) are accepted until this ISO 8601 time; unset: never.
  IMPORTED_TOKENS_UNTIL: z.union([z.iso.datetime({ offset: true }), z.iso.date()]).optional(),
  // The token shard the imported tokens were written to (the import prints it too); unset: the
  // lowest-numbered token shard bound, or the main database (0) when none is.
  IMPORTED_TOKENS_SHARD: z.coerce.number().int().min(0).optional(),
  // Where new grants go instead of the token shard nearest the client (src/tokens/shards.ts):
  // `<colo:XXX|country:XX|continent:XX|*>=<shard>[,<shard>…]`, separated by spaces.
  SHARD_ROUTES: z.string().default(''),
  // RFC 8707 resources besides this Worker's own (e.g. other Workers that introspect our tokens):
  // absolute URIs without fragment, separated by whitespace or commas.
  RESOURCES: z
    .string()
    .default('')
    .transform((value, context) => resourceList(splitResourceList(value), 'RESOURCES', context)),
  // RFC 9068: the RESOURCES that receive JWT access tokens (verifiable from the JWKS) instead of opaque ones.
  JWT_ACCESS_TOKEN_RESOURCES: z
    .string()
    .default('')
    .transform((value, context) => resourceList(splitResourceList(value), 'JWT_ACCESS_TOKEN_RESOURCES', context)),
  // RFC 9449 §8, §9: DPoP proofs must carry a nonce this server handed out (DPoP-Nonce).
  DPOP_REQUIRE_NONCE: flag.default(false),
  // RFC 9449 §11.1: where the resources remember DPoP proofs' jti (src/tokens/proof-replay.ts):
  // `isolate` (memory: the hot path keeps no I/O; a copy sent to another isolate within the proof's
  // minute is not caught) or `shared` (also D1: a copy is refused everywhere, one D1 write a request).
  DPOP_REPLAY_CHECK: z.enum(['isolate', 'shared']).default('isolate'),
  // The audience of a token requested without `resource`; unset: this Worker's API, `<issuer>/api`.
  DEFAULT_AUDIENCE: z
    .string()
    .optional()
    .transform((value, context) =>
      value === undefined || value.trim() === '' ? null : resourceList([value.trim()], 'DEFAULT_AUDIENCE', context)[0],
    ),
})

/** The normal forms of `values` (src/lib/resource-uri.ts); a value that is none fails the setting. */
function resourceList(values: string[], setting: string, context: z.RefinementCtx): string[] {
  return values.map((value) => {
    const normalized = normalizeResourceUri(value)
    if (normalized === null) {
      context.addIssue({ code: 'custom', message: `${setting}: not an absolute URI without fragment: ${value}` })
    }
    return normalized ?? value
  })
}

export type Config = {
  accessTokenLifetime: number
  refreshTokenLifetime: number
  authorizationCodeLifetime: number
  /** RFC 8628: device code lifetime and the minimum seconds between polls. */
  deviceCodeLifetime: number
  deviceCodeInterval: number
  /** RFC 9126: seconds a pushed request's request_uri may be used. */
  pushedRequestLifetime: number
  /** RFC 9126 §5: authorization requests only by PAR, for every client. */
  requirePushedAuthorizationRequests: boolean
  /** Seconds during which reusing a rotated refresh token is refused without revoking its family. */
  refreshTokenGracePeriod: number
  pkceAllowPlain: boolean
  sessionLifetime: number
  /** scope name → human description */
  scopes: Record<string, string>
  defaultScopes: string[]
  pageSize: number
  /** SITE_NAME: shown in every page's header. */
  siteName: string
  idTokenLifetime: number
  /** Seconds an ID-JAG issued by token exchange is valid (src/oauth/grants/token-exchange.ts). */
  idJagLifetime: number
  /** ISSUER without a trailing slash, or null: the issuer is then the request's origin, on loopback hosts only. */
  issuer: string | null
  tokenCache: CacheSettings
  /** Unix seconds after which legacy (CRC-only) tokens are refused, or null: accepted for ever. */
  legacyTokenFormatUntil: number | null
  clientRegistration: RegistrationSettings
  /** Whether https URL client_ids are resolved by fetching their client ID metadata document. */
  clientIdMetadataDocuments: boolean
  /** Unix seconds until which imported django-oauth-toolkit tokens are looked up, or null: never. */
  importedTokensUntil: number | null
  /** RESOURCES, normalised: resource identifiers (RFC 8707) other than this Worker's own. */
  resources: string[]
  /** DEFAULT_AUDIENCE, normalised, or null: this Worker's API (`<issuer>/api`). */
  defaultAudience: string | null
  tokenShards: ShardSettings
  /** JWT_ACCESS_TOKEN_RESOURCES, normalised: resources of `resources` that receive RFC 9068 JWT access tokens. */
  jwtAccessTokenResources: string[]
  dpop: {
    /** RFC 9449 §8, §9: every proof must carry a current nonce. */
    requireNonce: boolean
    /** Where the resources remember proofs' jti (the token endpoint always uses D1). */
    replayCheck: 'shared' | 'isolate'
  }
}

/** The token shards (src/tokens/shards.ts): the bound ones, the deployer's routes, where imported tokens are. */
type ShardSettings = {
  /** The D1 bindings named TOKEN_SHARD_<n>[_<LOCATION>], by number; none: the single-database setup. */
  bindings: ShardBinding[]
  routes: ShardRoutes
  /** IMPORTED_TOKENS_SHARD: the shard that holds tokens imported from django-oauth-toolkit. */
  importedShard: number
}

function shardSettings(env: object, settings: z.infer<typeof SettingsSchema>): ShardSettings {
  let bindings: ShardBinding[]
  try {
    bindings = shardBindings(Object.keys(env))
  } catch (error) {
    const [binding, ...problem] = (error as Error).message.split(': ')
    throw new SettingsError([[binding, problem.join(': ')]])
  }
  const bound = bindings.map((binding) => binding.shard)
  let routes: ShardRoutes
  try {
    routes = parseShardRoutes(settings.SHARD_ROUTES, bound)
  } catch (error) {
    throw new SettingsError([['SHARD_ROUTES', (error as Error).message]])
  }
  const importedShard = settings.IMPORTED_TOKENS_SHARD ?? bound[0] ?? 0
  if (importedShard !== 0 && !bound.includes(importedShard)) {
    throw new SettingsError([['IMPORTED_TOKENS_SHARD', `no token shard ${importedShard} is bound (TOKEN_SHARD_<n>)`]])
  }
  return { bindings, routes, importedShard }
}

type RegistrationSettings = {
  policy: 'off' | 'open' | 'initial-access-token'
  /** The initial access token; set whenever the policy is `initial-access-token`. */
  initialAccessToken: string | null
  /** Seconds a registered client may go unused before cleanup deletes it; null: kept for ever. */
  unusedLifetime: number | null
}

/**
 * How stale a registered client's `last_used_at` may be: it is written at most once in this
 * period (src/oauth/registration.ts), so a busy client costs no D1 write per token request.
 */
export const REGISTRATION_TOUCH_INTERVAL_SECONDS = 86_400

function registrationSettings(settings: z.infer<typeof SettingsSchema>): RegistrationSettings {
  const policy = settings.CLIENT_REGISTRATION
  const initialAccessToken = settings.CLIENT_REGISTRATION_INITIAL_ACCESS_TOKEN ?? null
  if (policy === 'initial-access-token' && initialAccessToken === null) {
    throw new SettingsError([
      ['CLIENT_REGISTRATION_INITIAL_ACCESS_TOKEN', 'required when CLIENT_REGISTRATION=initial-access-token'],
    ])
  }
  const unused = settings.CLIENT_REGISTRATION_UNUSED_EXPIRE_SECONDS
  // A client is deleted with its tokens: the window never ends before the longest token issued at
  // its last recorded use (a refresh token) has expired, that record being up to a touch interval old.
  const floor = settings.REFRESH_TOKEN_EXPIRE_SECONDS + REGISTRATION_TOUCH_INTERVAL_SECONDS
  return { policy, initialAccessToken, unusedLifetime: unused === 0 ? null : Math.max(unused, floor) }
}

function unixSeconds(iso: string | undefined): number | null {
  return iso ? Math.floor(Date.parse(iso) / 1000) : null
}

/**
 * A setting that is missing or wrong. `settings` names them (safe to show anyone); the message
 * also says what is wrong with each (for the log and the terminal), never a value.
 */
export class SettingsError extends Error {
  readonly settings: string[]

  constructor(problems: [setting: string, problem: string][]) {
    const settings = [...new Set(problems.map(([setting]) => setting))]
    const described = problems.map(([setting, problem]) => `${setting}: ${problem}`).join('; ')
    super(`Invalid setting${settings.length > 1 ? 's' : ''}: ${described}`)
    this.name = 'SettingsError'
    this.settings = settings
  }
}

const cache = new WeakMap<object, Config>()

/** Parses the settings once per env object; a bad setting throws a SettingsError that names it. */
export function getConfig(env: object): Config {
  const cached = cache.get(env)
  if (cached) return cached
  const parsed = SettingsSchema.safeParse(env)
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue): [string, string] => {
      const setting = String(issue.path[0] ?? '?')
      // Messages written here (resourceList) already start with the setting's name.
      return [setting, issue.message.replace(`${setting}: `, '')]
    })
    throw new SettingsError(problems)
  }
  const settings = parsed.data
  const scopes = settings.SCOPES
  const defaultScopes = parseScope(settings.DEFAULT_SCOPES)
  const unknown = defaultScopes.filter((scope) => !(scope in scopes))
  if (unknown.length > 0) throw new SettingsError([['DEFAULT_SCOPES', `names unknown scopes: ${unknown.join(', ')}`]])
  const notResources = settings.JWT_ACCESS_TOKEN_RESOURCES.filter((resource) => !settings.RESOURCES.includes(resource))
  if (notResources.length > 0) {
    throw new SettingsError([['JWT_ACCESS_TOKEN_RESOURCES', `not in RESOURCES: ${notResources.join(', ')}`]])
  }
  const config: Config = {
    accessTokenLifetime: settings.ACCESS_TOKEN_EXPIRE_SECONDS,
    refreshTokenLifetime: settings.REFRESH_TOKEN_EXPIRE_SECONDS,
    authorizationCodeLifetime: settings.AUTHORIZATION_CODE_EXPIRE_SECONDS,
    deviceCodeLifetime: settings.DEVICE_CODE_EXPIRE_SECONDS,
    deviceCodeInterval: settings.DEVICE_CODE_INTERVAL_SECONDS,
    pushedRequestLifetime: settings.PUSHED_AUTHORIZATION_REQUEST_EXPIRE_SECONDS,
    requirePushedAuthorizationRequests: settings.REQUIRE_PUSHED_AUTHORIZATION_REQUESTS,
    refreshTokenGracePeriod: settings.REFRESH_TOKEN_GRACE_PERIOD_SECONDS,
    pkceAllowPlain: settings.PKCE_ALLOW_PLAIN,
    sessionLifetime: settings.SESSION_COOKIE_AGE,
    scopes,
    defaultScopes,
    pageSize: settings.PAGE_SIZE,
    siteName: settings.SITE_NAME,
    idTokenLifetime: settings.ID_TOKEN_EXPIRE_SECONDS,
    idJagLifetime: settings.ID_JAG_EXPIRE_SECONDS,
    issuer: settings.ISSUER?.replace(/\/+$/, '') ?? null,
    tokenCache: {
      memorySeconds: settings.TOKEN_MEMORY_CACHE_SECONDS,
      memoryEntries: settings.TOKEN_MEMORY_CACHE_ENTRIES,
      negativeSeconds: settings.TOKEN_NEGATIVE_CACHE_SECONDS,
    },
    legacyTokenFormatUntil: unixSeconds(settings.LEGACY_TOKEN_FORMAT_UNTIL),
    importedTokensUntil: unixSeconds(settings.IMPORTED_TOKENS_UNTIL),
    clientRegistration: registrationSettings(settings),
    clientIdMetadataDocuments: settings.CLIENT_ID_METADATA_DOCUMENTS === 'on',
    resources: settings.RESOURCES,
    defaultAudience: settings.DEFAULT_AUDIENCE,
    tokenShards: shardSettings(env, settings),
    jwtAccessTokenResources: settings.JWT_ACCESS_TOKEN_RESOURCES,
    dpop: { requireNonce: settings.DPOP_REQUIRE_NONCE, replayCheck: settings.DPOP_REPLAY_CHECK },
  }
  cache.set(env, config)
  return config
}

/**
 * Every setting, and the secret nothing works without: what the Worker checks before it serves
 * anything and `npm run manage` before it runs. `source` (e.g. `.dev.vars`) goes into the message.
 */
export function checkSettings(env: object, source?: string): Config {
  try {
    const secretKey = (env as { SECRET_KEY?: unknown }).SECRET_KEY
    if (typeof secretKey !== 'string' || secretKey === '') {
      throw new SettingsError([['SECRET_KEY', 'not set (`npm run -s manage -- generate-secret-key` prints one)']])
    }
    return getConfig(env)
  } catch (error) {
    if (source && error instanceof SettingsError) error.message += ` (in ${source})`
    throw error
  }
}

/**
 * SITE_NAME for the page header. An error page must render even when another setting is
 * invalid (getConfig throws): it then shows the default name.
 */
export function siteName(env: object): string {
  try {
    return getConfig(env).siteName
  } catch {
    return DEFAULT_SITE_NAME
  }
}
