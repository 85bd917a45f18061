/**
 * @module
 * RFC 8707 resource indicators: which resources a token may be bound to (this Worker's own,
 * `OWN_RESOURCES` in ./resources.ts, plus RESOURCES), what a request's `resource`
 * parameters come to, and whether a token's audience includes a resource. An audience is a list
 * of normalised resource identifiers (src/lib/resource-uri.ts); a token stores it as their text,
 * space-separated, or as null for the default audience (DEFAULT_AUDIENCE, else `<issuer>/api`), so
 * the common token's row stays compact and every token issued before audiences means the default.
 */
import type { Context } from 'hono'
import type { Config } from '../config.ts'
import { OAuthError } from '../http/oauth.ts'
import { config } from '../lib/request-context.ts'
import { normalizeResourceUri } from '../lib/resource-uri.ts'
import type { AuthContext } from '../tokens/auth-context.ts'
import type { AppEnv } from '../types.ts'
import { knownIssuer } from './issuer.ts'
import { API_RESOURCE, OWN_RESOURCES, type Resource, resourceIdentifier } from './resources.ts'

/** A token's audience: normalised resource identifiers, each once, the default spelled out. */
export type Audience = readonly string[]

/** What a `resource` form or query parameter holds: absent, sent once, or repeated (§2: it may be). */
export type ResourceParam = string | readonly string[] | undefined

/** The resources known under one issuer and configuration. */
export type Resources = {
  /** Every identifier a token may be bound to. */
  known: ReadonlySet<string>
  /** The audience of a token requested without `resource`. */
  defaultAudience: string
  /** The normalised identifier of each of this Worker's own resources. */
  own: ReadonlyMap<Resource, string>
}

// Per isolate, per issuer and configuration (both fixed for a deployment; a loopback issuer per port).
const memo = new WeakMap<Config, Map<string, Resources>>()

/** The resources of this deployment under `issuer`. */
export function resources(issuer: string, config: Config): Resources {
  let byIssuer = memo.get(config)
  if (!byIssuer) {
    byIssuer = new Map()
    memo.set(config, byIssuer)
  }
  const cached = byIssuer.get(issuer)
  if (cached) return cached
  const own = new Map<Resource, string>()
  for (const resource of OWN_RESOURCES) {
    const identifier = normalizeResourceUri(resourceIdentifier(issuer, resource))
    if (identifier !== null) own.set(resource, identifier)
  }
  const defaultAudience = config.defaultAudience ?? own.get(API_RESOURCE) ?? resourceIdentifier(issuer, API_RESOURCE)
  const built: Resources = {
    known: new Set([...own.values(), ...config.resources, defaultAudience]),
    defaultAudience,
    own,
  }
  byIssuer.set(issuer, built)
  return built
}

const invalidTarget = (description: string) => new OAuthError('invalid_target', description)

function values(param: ResourceParam): readonly string[] {
  if (param === undefined) return []
  return typeof param === 'string' ? [param] : param
}

/** The normalised identifiers of the `resource` parameters; invalid_target for one that is malformed or unknown. */
function requestedResources(param: ResourceParam, known: Resources): string[] {
  const requested: string[] = []
  for (const value of values(param)) {
    const identifier = normalizeResourceUri(value)
    // §2: an absolute URI without a fragment, of a resource this server issues tokens for.
    if (identifier === null) throw invalidTarget(`Not an absolute URI without fragment: ${value}`)
    if (!known.known.has(identifier)) throw invalidTarget(`Unknown resource: ${value}`)
    if (!requested.includes(identifier)) requested.push(identifier)
  }
  return requested
}

/**
 * RFC 8707 §2: the audience a new grant asks for with its `resource` parameters (none: the
 * default audience). Throws invalid_target.
 */
export function requestedAudience(param: ResourceParam, known: Resources): Audience {
  const requested = requestedResources(param, known)
  return requested.length > 0 ? requested : [known.defaultAudience]
}

/**
 * RFC 8707 §2.2: the audience of an access token requested from an existing grant (a code, a
 * refresh token, a device code): the resources named, each of which the grant covers; without
 * `resource`, the grant's whole audience. Throws invalid_target.
 */
export function narrowedAudience(param: ResourceParam, granted: Audience, known: Resources): Audience {
  const requested = requestedResources(param, known)
  if (requested.length === 0) return granted
  const wider = requested.filter((identifier) => !granted.includes(identifier))
  if (wider.length > 0) throw invalidTarget(`Resource not granted: ${wider.join(' ')}`)
  return requested
}

/** How an audience is stored with a token or a grant: null for exactly the default audience. */
export function storedAudience(audience: Audience, known: Resources): string | null {
  return audience.length === 1 && audience[0] === known.defaultAudience ? null : audience.join(' ')
}

/** A stored audience (null or absent: the default) as a list. */
export function audienceOf(stored: string | null | undefined, known: Resources): Audience {
  return stored == null ? [known.defaultAudience] : stored.split(' ')
}

/**
 * RFC 9068: whether the access token for `audience` is a JWT — every resource of it receives JWT
 * access tokens (JWT_ACCESS_TOKEN_RESOURCES) — or opaque (none does). One token cannot be both:
 * a mix is invalid_target, and the client asks for a token per resource (`resource`, §2.2).
 */
export function receivesJwtAccessToken(audience: Audience, config: Config): boolean {
  const jwt = audience.filter((identifier) => config.jwtAccessTokenResources.includes(identifier))
  if (jwt.length === 0) return false
  if (jwt.length === audience.length) return true
  throw invalidTarget(
    `${jwt.join(' ')} receive JWT access tokens and cannot share a token with other resources: request one token per resource (resource).`,
  )
}

/** Whether every resource of `requested` is in `granted`. */
export function audienceCovers(granted: Audience, requested: Audience): boolean {
  return requested.every((identifier) => granted.includes(identifier))
}

/**
 * Whether a token's audience includes `resource`, one of this Worker's own: the resource
 * middleware's check, on what the token cache already holds. A default-audience token at the
 * API, the common case, costs one comparison. Without a known issuer nothing else can be
 * checked: refused.
 */
export function audienceIncludes<E extends AppEnv>(c: Context<E>, auth: AuthContext, resource: Resource): boolean {
  const settings = config(c)
  if (auth.audience === undefined && settings.defaultAudience === null && resource === API_RESOURCE) return true
  const issuer = knownIssuer(c)
  if (issuer === null) return false
  const known = resources(issuer, settings)
  const identifier = known.own.get(resource)
  return identifier !== undefined && audienceOf(auth.audience, known).includes(identifier)
}
