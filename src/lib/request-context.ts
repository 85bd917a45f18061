/**
 * @module
 * Builds the domain layer's dependencies from a Hono request context.
 * D1 read replication: `db(c)` is the plain binding, whose queries always go to the
 * primary (writes, and reads that must be current); `readDb(c)` is the request's D1
 * session, which a replica may serve. A request carrying the `X-D1-Bookmark` of an earlier
 * response reads at least what that response had seen, and `d1Bookmark()` hands the
 * session's latest bookmark back, so a client flow spanning requests sees its own writes.
 */
import type { Context, MiddlewareHandler } from 'hono'
import { type Config, getConfig } from '../config.ts'
import { loadSigningKeys, type SigningKeys } from '../crypto/signing-keys.ts'
import { keyedTokenFormat, type TokenFormat } from '../crypto/token-format.ts'
import { type Db, getDb, openReadSession } from '../db/client.ts'
import { isSafeMethod } from '../http/semantics.ts'
import { type ClientPlace, chooseShard, type TokenDb, type TokenShards, tokenShards } from '../tokens/shards.ts'
import type { TokenStore } from '../tokens/store.ts'
import type { AppEnv } from '../types.ts'

const BOOKMARK_HEADER = 'X-D1-Bookmark'

export function config<E extends AppEnv>(c: Context<E>): Config {
  return getConfig(c.env)
}

/** The primary database: every write goes here. */
export function db<E extends AppEnv>(c: Context<E>): Db {
  return getDb(c.env.DB)
}

/** OIDC signing keys, imported once per isolate. */
export function signingKeys<E extends AppEnv>(c: Context<E>): Promise<SigningKeys> {
  return loadSigningKeys(c.env.OIDC_SIGNING_KEYS)
}

/**
 * The request's D1 session, opened on first use: from the client's bookmark when it sent
 * one, else any replica for safe methods and the primary first for requests that write.
 */
export function readDb<E extends AppEnv>(c: Context<E>): Db {
  let session = c.get('d1Session')
  if (!session) {
    const constraint = isSafeMethod(c.req.method) ? 'first-unconstrained' : 'first-primary'
    session = openReadSession(c.env.DB, c.req.header(BOOKMARK_HEADER), constraint)
    c.set('d1Session', session)
  }
  return session.db
}

const replicaSessions = new WeakMap<object, Db>()

/**
 * A D1 session that a replica may serve whatever the method (from the client's bookmark when it
 * sent one), for reads whose result is re-checked on the primary before anything depends on it:
 * a refusal is confirmed by the primary, a write carries the facts it relies on as conditions
 * (docs/architecture.md "Round trips and consistency"). One per request.
 */
export function replicaDb<E extends AppEnv>(c: Context<E>): Db {
  let session = replicaSessions.get(c)
  if (!session) {
    session = openReadSession(c.env.DB, c.req.header(BOOKMARK_HEADER), 'first-unconstrained').db
    replicaSessions.set(c, session)
  }
  return session
}

/** Sets `X-D1-Bookmark` on the responses of requests that used their D1 session. */
export function d1Bookmark(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await next()
    const bookmark = c.get('d1Session')?.bookmark()
    if (bookmark) c.header(BOOKMARK_HEADER, bookmark)
  }
}

/** Mints and checks tokens with SECRET_KEY's MAC key (derived once per isolate). */
export function tokenFormat<E extends AppEnv>(c: Context<E>): TokenFormat {
  const settings = config(c)
  let format = formats.get(settings)
  if (!format) {
    const { legacyTokenFormatUntil, importedTokensUntil, tokenShards } = settings
    format = keyedTokenFormat(c.env.SECRET_KEY, legacyTokenFormatUntil, importedTokensUntil, tokenShards.importedShard)
    formats.set(settings, format)
  }
  return format
}

// One format per parsed configuration (one per env, so per SECRET_KEY): not rebuilt per request.
const formats = new WeakMap<Config, TokenFormat>()

const requestShards = new WeakMap<object, TokenShards>()

/**
 * The request's token databases (src/tokens/shards.ts): the main database as shard 0 and every
 * bound token shard, each with a read session a replica may serve (opened on first use); a new
 * grant goes to the shard nearest the client (request.cf), chosen once per request.
 */
function shards<E extends AppEnv>(c: Context<E>): TokenShards {
  let found = requestShards.get(c)
  if (!found) {
    const { bindings, routes } = config(c).tokenShards
    const env = c.env as unknown as Record<string, D1Database>
    const shard = (number: number, d1: D1Database, read: () => Db): TokenDb => ({ shard: number, db: getDb(d1), read })
    found = tokenShards(
      shard(0, c.env.DB, () => replicaDb(c)),
      bindings.map(({ shard: number, binding }) => {
        let session: Db | undefined
        const d1 = env[binding]
        return shard(number, d1, () => {
          session ??= openReadSession(d1, undefined, 'first-unconstrained').db
          return session
        })
      }),
      () => chooseShard(bindings, routes, c.req.raw.cf as ClientPlace | undefined),
    )
    requestShards.set(c, found)
  }
  return found
}

/**
 * The token store of a request. Its databases are opened on first use: a token this isolate
 * remembers (the hot path) needs neither.
 */
export function tokenStore<E extends AppEnv>(c: Context<E>): TokenStore {
  return {
    get db() {
      return db(c)
    },
    read: () => readDb(c),
    get shards() {
      return shards(c)
    },
    format: tokenFormat(c),
    kv: c.env.TOKEN_CACHE,
    waitUntil: waitUntil(c),
    cache: config(c).tokenCache,
  }
}

/** Work the response need not wait for (the Worker's `ctx.waitUntil`). */
export function waitUntil<E extends AppEnv>(c: Context<E>): (promise: Promise<unknown>) => void {
  try {
    const ctx = c.executionCtx
    return (promise) => ctx.waitUntil(promise)
  } catch {
    // No execution context (e.g. app.request() in a unit test): the promise still runs.
    return (promise) => void promise.catch((error) => console.warn('background task failed', error))
  }
}
