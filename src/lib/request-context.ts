/**
 * @module
 * Builds the domain layer's dependencies from a Hono request context.
 */
import type { Context } from 'hono'
import { type Config, getConfig } from '../config.ts'
import { loadSigningKeys, type SigningKeys } from '../crypto/signing-keys.ts'
import { type Db, getDb } from '../db/client.ts'
import type { TokenStore } from '../tokens/store.ts'
import type { AppEnv } from '../types.ts'

export function config(c: Context<AppEnv>): Config {
  return getConfig(c.env)
}

export function db(c: Context<AppEnv>): Db {
  return getDb(c.env.DB)
}

/** ISSUER when set; otherwise this request's origin. */
export function issuer(c: Context<AppEnv>): string {
  return getConfig(c.env).issuer ?? new URL(c.req.url).origin
}

/** OIDC signing keys, imported once per isolate. */
export function signingKeys(c: Context<AppEnv>): Promise<SigningKeys> {
  return loadSigningKeys(c.env.OIDC_SIGNING_KEYS)
}

export function tokenStore(c: Context<AppEnv>): TokenStore {
  return { db: db(c), kv: c.env.TOKEN_CACHE, waitUntil: waitUntil(c) }
}

function waitUntil(c: Context<AppEnv>): (promise: Promise<unknown>) => void {
  try {
    const ctx = c.executionCtx
    return (promise) => ctx.waitUntil(promise)
  } catch {
    // No execution context (e.g. app.request() in a unit test): the promise still runs.
    return (promise) => void promise.catch((error) => console.warn('background task failed', error))
  }
}
