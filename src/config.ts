/**
 * @module
 * Typed, validated settings from the Worker's environment (wrangler.toml [vars] and secrets).
 * The one home of every setting's default: wrangler.toml sets only what a deployment changes,
 * docs/configuration.md describes each setting.
 */
import { z } from 'zod'
import { parseScope } from './lib/scope.ts'
import type { CacheSettings } from './tokens/cache.ts'

// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/

const seconds = (fallback: number) => z.coerce.number().int().positive().default(fallback)
const secondsOrOff = (fallback: number) => z.coerce.number().int().min(0).max(3600).default(fallback)
const flag = z.preprocess((value) => value === true || value === 'true' || value === '1', z.boolean())

const SettingsSchema = z.object({
  ACCESS_TOKEN_EXPIRE_SECONDS: seconds(86400),
  REFRESH_TOKEN_EXPIRE_SECONDS: seconds(1209600),
  // DOT's default; RFC 6749 §4.1.2 recommends at most 10 minutes.
  AUTHORIZATION_CODE_EXPIRE_SECONDS: seconds(60),
  REFRESH_TOKEN_GRACE_PERIOD_SECONDS: z.coerce.number().int().min(0).default(0),
  // RFC 7636 §4.2: `plain` only for clients that cannot do S256; off unless allowed.
  PKCE_ALLOW_PLAIN: flag.default(false),
  // Django's SESSION_COOKIE_AGE: two weeks.
  SESSION_COOKIE_AGE: seconds(1209600),
  SCOPES: z
    .preprocess(
      (value) => (typeof value === 'string' ? JSON.parse(value) : value),
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
    }),
  // Granted when a request names no scope (DOT's DEFAULT_SCOPES); never `introspection` or OIDC's.
  DEFAULT_SCOPES: z.string().default('read write groups'),
  PAGE_SIZE: z.coerce.number().int().min(1).max(1000).default(20),
  // DOT's default ID_TOKEN_EXPIRE_SECONDS.
  ID_TOKEN_EXPIRE_SECONDS: seconds(36000),
  // OIDC Discovery 1.0 §3: the issuer is a URL with no query or fragment.
  ISSUER: z
    .url({ protocol: /^https?$/ })
    .refine((value) => !/[?#]/.test(value), 'ISSUER must have no query or fragment')
    .optional(),
  // Isolate-memory token cache (src/tokens/cache.ts): a revoked token may still be accepted
  // by another isolate for at most TOKEN_MEMORY_CACHE_SECONDS. 0 turns the tier off.
  TOKEN_MEMORY_CACHE_SECONDS: secondsOrOff(5),
  TOKEN_MEMORY_CACHE_ENTRIES: z.coerce.number().int().min(0).max(100_000).default(10_000),
  TOKEN_NEGATIVE_CACHE_SECONDS: secondsOrOff(60),
  // Tokens minted before the keyed format (src/crypto/token-format.ts) are accepted until this
  // ISO 8601 time; unset: for ever. Deploy time + REFRESH_TOKEN_EXPIRE_SECONDS outlives them all.
  LEGACY_TOKEN_FORMAT_UNTIL: z.union([z.iso.datetime({ offset: true }), z.iso.date()]).optional(),
  // Tokens imported from django-oauth-toolkit (`manage import-django`, which prints the value to set:
  // the last imported token's expiry) are accepted until this ISO 8601 time; unset: never.
  IMPORTED_TOKENS_UNTIL: z.union([z.iso.datetime({ offset: true }), z.iso.date()]).optional(),
})

export type Config = {
  accessTokenLifetime: number
  refreshTokenLifetime: number
  authorizationCodeLifetime: number
  /** Seconds during which reusing a rotated refresh token is refused without revoking its family. */
  refreshTokenGracePeriod: number
  pkceAllowPlain: boolean
  sessionLifetime: number
  /** scope name → human description */
  scopes: Record<string, string>
  defaultScopes: string[]
  pageSize: number
  idTokenLifetime: number
  /** ISSUER without a trailing slash, or null: the issuer is then the request's origin, on loopback hosts only. */
  issuer: string | null
  tokenCache: CacheSettings
  /** Unix seconds after which legacy (CRC-only) tokens are refused, or null: accepted for ever. */
  legacyTokenFormatUntil: number | null
  /** Unix seconds until which imported django-oauth-toolkit tokens are looked up, or null: never. */
  importedTokensUntil: number | null
}

function unixSeconds(iso: string | undefined): number | null {
  return iso ? Math.floor(Date.parse(iso) / 1000) : null
}

const cache = new WeakMap<object, Config>()

/** Parses the settings once per env object; a bad setting fails loudly at the first request. */
export function getConfig(env: object): Config {
  const cached = cache.get(env)
  if (cached) return cached
  const settings = SettingsSchema.parse(env)
  const scopes = settings.SCOPES
  const defaultScopes = parseScope(settings.DEFAULT_SCOPES)
  const unknown = defaultScopes.filter((scope) => !(scope in scopes))
  if (unknown.length > 0) throw new Error(`DEFAULT_SCOPES names unknown scopes: ${unknown.join(', ')}`)
  const config: Config = {
    accessTokenLifetime: settings.ACCESS_TOKEN_EXPIRE_SECONDS,
    refreshTokenLifetime: settings.REFRESH_TOKEN_EXPIRE_SECONDS,
    authorizationCodeLifetime: settings.AUTHORIZATION_CODE_EXPIRE_SECONDS,
    refreshTokenGracePeriod: settings.REFRESH_TOKEN_GRACE_PERIOD_SECONDS,
    pkceAllowPlain: settings.PKCE_ALLOW_PLAIN,
    sessionLifetime: settings.SESSION_COOKIE_AGE,
    scopes,
    defaultScopes,
    pageSize: settings.PAGE_SIZE,
    idTokenLifetime: settings.ID_TOKEN_EXPIRE_SECONDS,
    issuer: settings.ISSUER?.replace(/\/+$/, '') ?? null,
    tokenCache: {
      memorySeconds: settings.TOKEN_MEMORY_CACHE_SECONDS,
      memoryEntries: settings.TOKEN_MEMORY_CACHE_ENTRIES,
      negativeSeconds: settings.TOKEN_NEGATIVE_CACHE_SECONDS,
    },
    legacyTokenFormatUntil: unixSeconds(settings.LEGACY_TOKEN_FORMAT_UNTIL),
    importedTokensUntil: unixSeconds(settings.IMPORTED_TOKENS_UNTIL),
  }
  cache.set(env, config)
  return config
}
