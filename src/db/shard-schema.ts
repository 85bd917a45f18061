/**
 * @module
 * The schema of a token shard (src/tokens/shards.ts): the token tables of ./schema.ts and the
 * fences, without foreign keys — users and applications stay in the main database, so nothing in
 * a shard can reference them. Queries use ./schema.ts's tables (same names, same columns) in every
 * token database; this file only describes a shard's DDL: `npm run db:generate` turns it into
 * migrations/shards/ (drizzle.shards.config.ts). src/db/shard-schema.test.ts checks that every
 * column and index here is the one of ./schema.ts.
 */
import { sql } from 'drizzle-orm'
import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core'
import { digest } from './digest.ts'

export { applicationFences, userFences } from './schema.ts'

const createdAt = () => integer('created_at', { mode: 'timestamp' }).notNull().default(sql`(unixepoch())`)

export const accessTokens = sqliteTable(
  'access_tokens',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    tokenHash: digest('token_hash').notNull().unique(),
    userId: integer('user_id'),
    applicationId: integer('application_id').notNull(),
    scope: text('scope').notNull(),
    expiresAt: integer('expires_at').notNull(),
    createdAt: createdAt(),
    audience: text('audience'),
    imported: integer('imported', { mode: 'boolean' }),
    // RFC 9449: the DPoP key's thumbprint a token is bound to (migrations/shards/0001_dpop.sql).
    jkt: text('jkt'),
  },
  (t) => [
    index('access_tokens_expires_at_idx').on(t.expiresAt),
    index('access_tokens_user_idx').on(t.userId),
    index('access_tokens_application_idx').on(t.applicationId),
  ],
)

export const refreshTokens = sqliteTable(
  'refresh_tokens',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    tokenHash: digest('token_hash').notNull().unique(),
    // In one shard with the access token, so this reference holds (and keeps its ON DELETE SET NULL).
    accessTokenId: integer('access_token_id').references(() => accessTokens.id, { onDelete: 'set null' }),
    userId: integer('user_id'),
    applicationId: integer('application_id').notNull(),
    scope: text('scope').notNull(),
    familyId: integer('family_id'),
    authTime: integer('auth_time'),
    expiresAt: integer('expires_at').notNull(),
    revokedAt: integer('revoked_at'),
    createdAt: createdAt(),
    audience: text('audience'),
    imported: integer('imported', { mode: 'boolean' }),
    jkt: text('jkt'),
  },
  (t) => [
    index('refresh_tokens_family_idx').on(t.familyId).where(sql`family_id IS NOT NULL`),
    index('refresh_tokens_expires_at_idx').on(t.expiresAt),
    index('refresh_tokens_access_token_idx').on(t.accessTokenId),
    index('refresh_tokens_application_idx').on(t.applicationId),
    // A user's refresh tokens (the console's token lists, deleting a user), as in the main database.
    index('refresh_tokens_user_idx').on(t.userId),
  ],
)

export const authorizationCodes = sqliteTable(
  'authorization_codes',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    codeHash: digest('code_hash').notNull().unique(),
    applicationId: integer('application_id').notNull(),
    userId: integer('user_id').notNull(),
    redirectUri: text('redirect_uri').notNull(),
    scope: text('scope').notNull(),
    codeChallenge: text('code_challenge').notNull().default(''),
    codeChallengeMethod: text('code_challenge_method').notNull().default(''),
    nonce: text('nonce').notNull().default(''),
    authTime: integer('auth_time'),
    expiresAt: integer('expires_at').notNull(),
    redeemedAt: integer('redeemed_at'),
    createdAt: createdAt(),
    audience: text('audience'),
  },
  (t) => [
    index('authorization_codes_expires_at_idx').on(t.expiresAt),
    index('authorization_codes_application_idx').on(t.applicationId),
    // As refresh_tokens_user_idx: a user's codes go when the user does.
    index('authorization_codes_user_idx').on(t.userId),
  ],
)
