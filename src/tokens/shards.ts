/**
 * @module
 * Token shards: where tokens live (docs/capacity.md "Token shards"). Users and applications stay
 * in the main database (binding DB, read from replicas); the token tables are split over token
 * databases, one D1 binding each, named `TOKEN_SHARD_<n>` or `TOKEN_SHARD_<n>_<LOCATION>` after
 * the location hint the database was created with (`wrangler d1 create … --location=oc`).
 * - The main database is shard 0: it holds every token minted before the shards (their tokens
 *   carry no shard number), device grants (a user code carries no shard) and, with no token shard
 *   bound, everything — the single-database setup.
 * - A new grant goes to the shard nearest the client (`request.cf`: its coordinates, else its
 *   continent), unless SHARD_ROUTES maps the client's colo, country or continent to shards;
 *   among equally near shards, one at random. The shard number is minted into every token of the
 *   grant (src/crypto/token-format.ts), so a lookup goes straight to it, and the grant's code,
 *   tokens and rotations all stay in it: redemption, rotation and family revocation remain
 *   single-database transactions.
 * - User- and application-wide work runs in every token database at once (./fan-out.ts).
 * This module chooses; src/lib/request-context.ts opens the databases of a request.
 */
import { MAX_TOKEN_SHARD } from '../crypto/token-format.ts'
import { type Db, getDb } from '../db/client.ts'

/** One token database as a request uses it. */
export type TokenDb = {
  /** Its number, carried in its tokens: 0 is the main database. */
  shard: number
  /** Its primary: every write, and reads that must see the latest state. */
  db: Db
  /** A read session that D1 may serve from a replica (opened on first use). */
  read: () => Db
}

/** The token databases of one request (or CLI command). */
export type TokenShards = {
  /** The database of shard `n` (read from a token), or null when none is bound with that number. */
  get(n: number): TokenDb | null
  /** Where a new grant of this request goes: chosen once, so a request's tokens share a shard. */
  forNewGrant(): TokenDb
  /** Every token database, the main one first: where user- and application-wide work runs. */
  all(): TokenDb[]
  /** Shard 0, the main database: device grants (a user code carries no shard), tokens minted before the shards. */
  main(): TokenDb
}

/** D1's location hints (`wrangler d1 create --location`), each with where its region lies (latitude, longitude). */
const LOCATIONS = {
  wnam: [37.4, -122.0], // Western North America
  enam: [39.0, -77.5], // Eastern North America
  weur: [52.4, 4.9], // Western Europe
  eeur: [52.2, 21.0], // Eastern Europe
  apac: [1.35, 103.8], // Asia-Pacific
  oc: [-33.9, 151.2], // Oceania
} as const
type LocationHint = keyof typeof LOCATIONS

/** Where a client without coordinates is placed by its continent (request.cf.continent). */
const CONTINENTS: Record<string, readonly [number, number]> = {
  AF: [5, 20],
  AN: [-75, 0],
  AS: [35, 100],
  EU: [50, 15],
  NA: [40, -95],
  OC: [-25, 140],
  SA: [-15, -60],
}

/** A token shard's binding, read from its name. */
export type ShardBinding = { shard: number; binding: string; location: LocationHint | null }

const BINDING = /^TOKEN_SHARD_(\d+)(?:_([A-Z]+))?$/

/**
 * The token shards among `names` (the Worker's binding names), by shard number. Throws on a name
 * that looks like one but cannot be: a number out of range or taken twice, an unknown location.
 */
export function shardBindings(names: Iterable<string>): ShardBinding[] {
  const found: ShardBinding[] = []
  for (const binding of names) {
    if (!binding.startsWith('TOKEN_SHARD_')) continue
    const match = BINDING.exec(binding)
    const shard = match ? Number(match[1]) : Number.NaN
    if (!match || !Number.isSafeInteger(shard) || shard < 1 || shard > MAX_TOKEN_SHARD || match[1].startsWith('0')) {
      throw new Error(`${binding}: a token shard binding is TOKEN_SHARD_<1–${MAX_TOKEN_SHARD}>[_<LOCATION>]`)
    }
    const hint = match[2]?.toLowerCase()
    if (hint !== undefined && !(hint in LOCATIONS)) {
      throw new Error(
        `${binding}: unknown location ${match[2]} (one of ${Object.keys(LOCATIONS).join(', ')}, upper case)`,
      )
    }
    const taken = found.find((other) => other.shard === shard)
    if (taken) throw new Error(`${binding}: shard ${shard} is also ${taken.binding}`)
    found.push({ shard, binding, location: (hint as LocationHint | undefined) ?? null })
  }
  return found.sort((a, b) => a.shard - b.shard)
}

/**
 * SHARD_ROUTES, parsed: where the deployer sends a client's new grants instead of the
 * nearest shard, by `colo:<IATA>`, `country:<ISO 3166>`, `continent:<code>` or `*` (everyone
 * else), each to one shard or several (one at random).
 */
export type ShardRoutes = ReadonlyMap<string, readonly number[]>

const ROUTE = /^(?:colo:[A-Z]{3}|country:[A-Z]{2}|continent:(?:AF|AN|AS|EU|NA|OC|SA)|\*)$/

/** Parses SHARD_ROUTES against the bound shards; throws with what is wrong. */
export function parseShardRoutes(value: string, bound: readonly number[]): ShardRoutes {
  const routes = new Map<string, number[]>()
  for (const entry of value.split(/\s+/).filter(Boolean)) {
    const [where, list, ...rest] = entry.split('=')
    if (list === undefined || rest.length > 0 || !ROUTE.test(where)) {
      throw new Error(`${entry}: not <colo:XXX|country:XX|continent:XX|*>=<shard>[,<shard>…]`)
    }
    const shards = list.split(',').map(Number)
    const unbound = shards.filter((shard) => !Number.isSafeInteger(shard) || (shard !== 0 && !bound.includes(shard)))
    if (unbound.length > 0 || list.split(',').some((text) => !/^\d+$/.test(text))) {
      throw new Error(`${entry}: no token shard bound as ${list} (bound: 0${bound.map((n) => `, ${n}`).join('')})`)
    }
    if (routes.has(where)) throw new Error(`${where} is routed twice`)
    routes.set(where, shards)
  }
  return routes
}

/** What a shard choice knows of the client: request.cf's fields, all optional. */
export type ClientPlace = {
  colo?: unknown
  country?: unknown
  continent?: unknown
  latitude?: unknown
  longitude?: unknown
}

const RADIANS = Math.PI / 180

/** Great-circle distance in radians (haversine): only compared, never reported. */
function distance(a: readonly [number, number], b: readonly [number, number]): number {
  const dLat = (b[0] - a[0]) * RADIANS
  const dLon = (b[1] - a[1]) * RADIANS
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a[0] * RADIANS) * Math.cos(b[0] * RADIANS) * Math.sin(dLon / 2) ** 2
  return 2 * Math.asin(Math.min(1, Math.sqrt(h)))
}

function coordinates(place: ClientPlace): readonly [number, number] | null {
  const latitude = Number(place.latitude)
  const longitude = Number(place.longitude)
  if (place.latitude != null && place.longitude != null && Number.isFinite(latitude) && Number.isFinite(longitude)) {
    return [latitude, longitude]
  }
  return typeof place.continent === 'string' ? (CONTINENTS[place.continent] ?? null) : null
}

function pick<T>(candidates: readonly T[], random: () => number): T {
  return candidates[Math.min(candidates.length - 1, Math.floor(random() * candidates.length))]
}

/**
 * The shard a new grant from `place` goes to: the deployer's route for its colo, country or
 * continent (or `*`), else the nearest shard with a location (all shards when none has one);
 * ties and lists are broken at random, which spreads grants evenly over a region's shards.
 * 0 (the main database) when no token shard is bound.
 */
export function chooseShard(
  shards: readonly ShardBinding[],
  routes: ShardRoutes,
  place: ClientPlace | undefined,
  random: () => number = Math.random,
): number {
  if (shards.length === 0) return 0
  const client = place ?? {}
  for (const key of [`colo:${client.colo}`, `country:${client.country}`, `continent:${client.continent}`, '*']) {
    const routed = routes.get(key)
    if (routed) return pick(routed, random)
  }
  const located = shards.filter((shard) => shard.location !== null)
  const here = coordinates(client)
  if (located.length === 0 || here === null) return pick(located.length > 0 ? located : shards, random).shard
  const away = located.map((shard) => distance(here, LOCATIONS[shard.location as LocationHint]))
  const nearest = Math.min(...away)
  // Shards created with the same hint are equally near.
  return pick(
    located.filter((_, index) => away[index] - nearest < 1e-9),
    random,
  ).shard
}

/** The shard set of a request: `main` is shard 0, `shards` the token shards; `choose` is asked once, on first need. */
export function tokenShards(main: TokenDb, shards: readonly TokenDb[], choose: () => number): TokenShards {
  const byNumber = new Map<number, TokenDb>([main, ...shards].map((tokenDb) => [tokenDb.shard, tokenDb]))
  let chosen: TokenDb | undefined
  return {
    get: (n) => byNumber.get(n) ?? null,
    forNewGrant() {
      chosen ??= byNumber.get(choose()) ?? main
      return chosen
    },
    all: () => [main, ...shards],
    main: () => main,
  }
}

/** A store outside a request over the main database alone (single-database setup, unit tests). */
export function mainOnly(db: Db): TokenShards {
  return tokenShards({ shard: 0, db, read: () => db }, [], () => 0)
}

/** The token shards bound in `env` (the Worker's bindings, or the CLI's), with their databases. */
function boundShards(env: object): (ShardBinding & { d1: D1Database })[] {
  const bindings = env as Record<string, unknown>
  return shardBindings(Object.keys(bindings)).map((shard) => ({ ...shard, d1: bindings[shard.binding] as D1Database }))
}

/**
 * Every token database of `env` outside a request (the cron cleanup, the CLI, tests), each read on
 * its primary; a new grant goes to `choose()` (by default any shard, as for a client nothing places).
 */
export function standaloneShards(
  env: { DB: D1Database },
  choose: () => number = () => chooseShard(shardBindings(Object.keys(env)), new Map(), undefined),
): TokenShards {
  const primary = (shard: number, d1: D1Database): TokenDb => {
    const db = getDb(d1)
    return { shard, db, read: () => db }
  }
  return tokenShards(
    primary(0, env.DB),
    boundShards(env).map(({ shard, d1 }) => primary(shard, d1)),
    choose,
  )
}

// A row's id is unique in its shard only: pages and APIs name a token by both, in one number whose
// last four decimal digits are the shard (shard numbers end at 3,843).
const ID_SPAN = 10_000

/** The number a page or an API shows for row `id` of shard `shard`. */
export function publicTokenId(shard: number, id: number): number {
  return id * ID_SPAN + shard
}

/** The shard and row of a number `publicTokenId` made, or null for any other value. */
export function parseTokenId(value: number): { shard: number; id: number } | null {
  if (!Number.isSafeInteger(value) || value < ID_SPAN) return null
  return { shard: value % ID_SPAN, id: Math.floor(value / ID_SPAN) }
}
