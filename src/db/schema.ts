/**
 * @module
 * The one description of the data. `npm run db:generate` turns changes here into a migration.
 * Every secret column holds a digest, never the secret itself.
 */
import { sql } from 'drizzle-orm'
import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core'
import { digest } from './digest.ts'
import { stringList } from './string-list.ts'

const createdAt = () => integer('created_at', { mode: 'timestamp' }).notNull().default(sql`(unixepoch())`)

export const users = sqliteTable(
  'users',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    username: text('username').notNull().unique(),
    /**
     * The username's case-insensitive identity (src/accounts/usernames.ts `usernameKey`), unique so
     * that `admin` and `ADMIN` cannot both be created. Null only for rows that already collided
     * case-insensitively before it existed (migrations/0005_username_ci.sql).
     */
    usernameKey: text('username_key').unique(),
    email: text('email').notNull().default(''),
    firstName: text('first_name').notNull().default(''),
    lastName: text('last_name').notNull().default(''),
    /** Django's encoded format: algorithm$params$salt$hash */
    password: text('password').notNull(),
    isActive: integer('is_active', { mode: 'boolean' }).notNull().default(true),
    isStaff: integer('is_staff', { mode: 'boolean' }).notNull().default(false),
    isSuperuser: integer('is_superuser', { mode: 'boolean' }).notNull().default(false),
    dateJoined: integer('date_joined', { mode: 'timestamp' }).notNull().default(sql`(unixepoch())`),
    /** Django's `last_login`, carried over by `manage import-django`; null when unknown. */
    lastLogin: integer('last_login', { mode: 'timestamp' }),
    /**
     * Carried in the session cookie; logout, a password change and deactivation add one, so every
     * copy of every session of the user ends at once (src/accounts/session.ts).
     */
    sessionGeneration: integer('session_generation').notNull().default(0),
  },
  (t) => [
    index('users_email_idx').on(t.email),
    // The console's users list sorted by date joined (src/accounts/user-list.ts).
    index('users_date_joined_idx').on(t.dateJoined),
    // Imported Django PBKDF2 hashes by iteration count (partial: no other row is in it), so the
    // login time floor reads the largest count in one index step (src/accounts/password-timing.ts).
    index('users_pbkdf2_iterations_idx')
      .on(sql`CAST(substr(${t.password}, 15, instr(substr(${t.password}, 15), '$') - 1) AS INTEGER)`)
      .where(sql`substr(${t.password}, 1, 14) = 'pbkdf2_sha256$'`),
    // Imported argon2 hashes by cost (memory × passes), ours left out (partial: usually empty), so
    // the login time floor reads the dearest one in one index step too.
    index('users_argon2_cost_idx')
      .on(
        sql`CAST(substr(${t.password}, instr(${t.password}, '$m=') + 3) AS INTEGER) * CAST(substr(${t.password}, instr(${t.password}, ',t=') + 3) AS INTEGER)`,
      )
      .where(
        sql`substr(${t.password}, 1, 7) = 'argon2$' AND substr(${t.password}, 1, 37) <> 'argon2$argon2id$v=19$m=19456,t=2,p=1$'`,
      ),
  ],
)

/** RFC 8628 §3.4's grant_type, which is also DOT's name for an application allowed the device grant. */
export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code'

/**
 * RFC 7523 §2.1's grant_type, the grant an ID-JAG (draft-ietf-oauth-identity-assertion-authz-grant)
 * is presented with: named by its URN as an application's allowed grant too, as DOT names the device grant.
 */
export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer'

/** DOT's authorization_grant_type names an application may be allowed (DOT 3.x names the device grant by its URN). */
export const APPLICATION_GRANTS = [
  'password',
  'client-credentials',
  'authorization-code',
  DEVICE_CODE_GRANT,
  JWT_BEARER_GRANT,
] as const
export type ApplicationGrant = (typeof APPLICATION_GRANTS)[number]

// The lists below are JSON arrays (string-list.ts); their DDL default '' predates them and reads as [].
export const applications = sqliteTable(
  'applications',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    clientId: text('client_id').notNull().unique(),
    /** SHA-256 hex of the client secret; empty for public clients. */
    clientSecretHash: text('client_secret_hash').notNull().default(''),
    /**
     * An imported DOT ≥ 2 client secret, as Django stored it (`pbkdf2_sha256$…`, checked by
     * src/crypto/passwords.ts): verified the slow way once, at the client's first authentication,
     * then replaced by the digest in `clientSecretHash` and cleared (src/oauth/client-auth.ts).
     */
    djangoClientSecret: text('django_client_secret'),
    name: text('name').notNull(),
    clientType: text('client_type', { enum: ['confidential', 'public'] }).notNull(),
    /** DOT grant names, each once. */
    grantTypes: stringList('grant_types').$type<ApplicationGrant[]>().notNull(),
    /** Matched exactly (RFC 6749 §3.1.2.3). */
    redirectUris: stringList('redirect_uris').notNull().default(sql`''`),
    userId: integer('user_id').references(() => users.id, { onDelete: 'cascade' }),
    skipAuthorization: integer('skip_authorization', { mode: 'boolean' }).notNull().default(false),
    /** DOT's `algorithm`: how this client's id_tokens are signed. */
    algorithm: text('algorithm', { enum: ['RS256', 'ES256'] })
      .notNull()
      .default('RS256'),
    /** DOT's post_logout_redirect_uris, matched exactly (OIDC RP-Initiated Logout §3). */
    postLogoutRedirectUris: stringList('post_logout_redirect_uris').notNull().default(sql`''`),
    /**
     * A designated resource server (staff-set, `manage createapplication --can-introspect`): may
     * introspect any token and obtain the `introspection` scope. Other clients see their own tokens only.
     */
    canIntrospect: integer('can_introspect', { mode: 'boolean' }).notNull().default(false),
    /**
     * A designated resource server's own resource identifier (RFC 8707, normal form: src/lib/resource-uri.ts;
     * `manage createapplication --resource`): introspection answers it only about tokens whose
     * audience includes it (RFC 7662 §4). Null: it learns about every token.
     */
    resource: text('resource'),
    createdAt: createdAt(),
    updatedAt: integer('updated_at', { mode: 'timestamp' }).notNull().default(sql`(unixepoch())`),
    /**
     * RFC 7591 dynamic registration (src/oauth/registration.ts): SHA-256 hex of the RFC 7592
     * registration access token that manages this client; null for applications a person made
     * (management API, CLI). Non-null marks a registered client: no owner, consent always asked.
     */
    registrationTokenHash: text('registration_token_hash'),
    /** Unix seconds of the last token request of a registered client, written at most daily; null: none yet. */
    lastUsedAt: integer('last_used_at'),
    /** RFC 7591 §2 token_endpoint_auth_method the client registered; null: any this server supports. */
    tokenEndpointAuthMethod: text('token_endpoint_auth_method', {
      enum: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
    }),
    /**
     * RFC 7591 §2 scope the client registered, space-separated: what it gets when it asks for none
     * (src/oauth/scopes.ts), not a ceiling; null: the configured default. The column keeps its first name.
     */
    registeredScope: text('allowed_scope'),
    /** OIDC Dynamic Client Registration §2 application_type (`web` or `native`); null when not registered. */
    applicationType: text('application_type', { enum: ['web', 'native'] }),
    /**
     * A client whose client_id is the URL of its metadata document (draft-ietf-oauth-client-id-
     * metadata-document; src/oauth/client-metadata-document.ts): Unix seconds until which the
     * fetched document stands for it; after that it is fetched again before the client is used.
     * Null for every other application.
     */
    metadataDocumentFreshUntil: integer('metadata_document_fresh_until'),
    /**
     * RFC 9126 §6: authorization requests of this client must be pushed (/o/par/); one sent in
     * the URL is refused. REQUIRE_PUSHED_AUTHORIZATION_REQUESTS requires it of every client.
     */
    requirePushedAuthorizationRequests: integer('require_pushed_authorization_requests', { mode: 'boolean' })
      .notNull()
      // An SQL default is written into an INSERT that omits it, not bound: the bulk import's rows
      // per statement (D1: 100 bound parameters) stay as they were.
      .default(sql`false`),
    /**
     * RFC 7591 §2 jwks: the client's public keys (a JWK Set, JSON), for private_key_jwt client
     * authentication (RFC 7523 §2.2, src/oauth/client-assertion.ts); null when it holds none.
     */
    jwks: text('jwks'),
    /** RFC 7591 §2 jwks_uri: where its key set is fetched from instead (src/oauth/client-keys.ts); never both. */
    jwksUri: text('jwks_uri'),
    /**
     * Moves on with every change that ends or refuses tokens minted from an older read of this row (a
     * new secret, another client type or grant types): a grant carries the generation it read to the
     * token shard, whose fences refuse it once the change reached them (src/tokens/fences.ts).
     */
    generation: integer('generation').notNull().default(sql`0`),
    /**
     * RFC 9449 §5.2 dpop_bound_access_tokens: every token request of this client must carry a DPoP
     * proof, so its access tokens are always bound to a key (src/oauth/dpop.ts).
     */
    dpopBoundAccessTokens: integer('dpop_bound_access_tokens', { mode: 'boolean' })
      .notNull()
      // An SQL default, as require_pushed_authorization_requests: the bulk import's bound parameters stay as they were.
      .default(sql`false`),
  },
  (t) => [
    // Cleanup of registered clients unused for too long (src/oauth/registration.ts): registered rows only.
    index('applications_registered_last_used_idx')
      .on(sql`coalesce(${t.lastUsedAt}, ${t.createdAt})`)
      .where(sql`${t.registrationTokenHash} IS NOT NULL`),
    // The same cleanup for clients that came from a metadata document.
    index('applications_metadata_document_last_used_idx')
      .on(sql`coalesce(${t.lastUsedAt}, ${t.createdAt})`)
      .where(sql`${t.metadataDocumentFreshUntil} IS NOT NULL`),
    // Imported Django client secrets not yet replaced by a digest (partial: only those rows), read
    // by the time floor of a failed client authentication (src/oauth/client-auth.ts).
    index('applications_django_client_secret_idx')
      .on(t.djangoClientSecret)
      .where(sql`${t.djangoClientSecret} IS NOT NULL`),
    // The console's applications list sorted by name or by creation (src/oauth/applications.ts).
    index('applications_name_idx').on(t.name),
    index('applications_created_at_idx').on(t.createdAt),
  ],
)

export const accessTokens = sqliteTable(
  'access_tokens',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    /** SHA-256 of the token (32 bytes; hex in code). */
    tokenHash: digest('token_hash').notNull().unique(),
    userId: integer('user_id').references(() => users.id, { onDelete: 'cascade' }),
    applicationId: integer('application_id')
      .notNull()
      .references(() => applications.id, { onDelete: 'cascade' }),
    scope: text('scope').notNull(),
    /** Unix seconds. */
    expiresAt: integer('expires_at').notNull(),
    createdAt: createdAt(),
    /**
     * RFC 8707 audience: normalised resource identifiers, space-separated (src/resource/audiences.ts);
     * null, on nearly every row: the default audience (DEFAULT_AUDIENCE, else `<issuer>/api`).
     */
    audience: text('audience'),
    /** True for a django-oauth-toolkit token brought by `manage import-django` (no prefix, no check value); null otherwise. */
    imported: integer('imported', { mode: 'boolean' }),
    /**
     * RFC 9449 §6.1: the JWK SHA-256 thumbprint (RFC 7638, base64url) of the DPoP key the token is
     * bound to; null, on every other row: a Bearer token.
     */
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
    /** SHA-256 of the token (32 bytes; hex in code). */
    tokenHash: digest('token_hash').notNull().unique(),
    accessTokenId: integer('access_token_id').references(() => accessTokens.id, {
      onDelete: 'set null',
    }),
    userId: integer('user_id').references(() => users.id, { onDelete: 'cascade' }),
    applicationId: integer('application_id')
      .notNull()
      .references(() => applications.id, { onDelete: 'cascade' }),
    /** The scope of the original grant; a refresh may narrow the access token, never this. */
    scope: text('scope').notNull(),
    /**
     * Every token rotated from one grant shares a family, so reuse can revoke them all. The
     * family's id is its first refresh token's id, stored as null on that first row (SQLite
     * assigns the id in the INSERT itself, so no second statement and no guess) and copied
     * onto every rotation; a code's family is minus the code's id (src/tokens/authorization-codes.ts).
     * Read it with src/tokens/refresh-tokens.ts `refreshTokenFamily`.
     */
    familyId: integer('family_id'),
    /** OIDC auth_time of the login behind the grant, kept for refreshed id_tokens (OIDC Core §12.2); null when none. */
    authTime: integer('auth_time'),
    expiresAt: integer('expires_at').notNull(),
    revokedAt: integer('revoked_at'),
    createdAt: createdAt(),
    /** RFC 8707: the audience of the whole grant (as access_tokens.audience); a refresh may narrow the access token's, never this. */
    audience: text('audience'),
    /** As access_tokens.imported: a django-oauth-toolkit refresh token brought by `manage import-django`. */
    imported: integer('imported', { mode: 'boolean' }),
    /**
     * RFC 9449 §5: a public client's refresh token is bound to its DPoP key (this thumbprint) and
     * refreshed only with a proof of that key; null: not bound (confidential clients authenticate).
     */
    jkt: text('jkt'),
  },
  (t) => [
    // Only rotated tokens and code grants are indexed: a first token is found by its id.
    index('refresh_tokens_family_idx').on(t.familyId).where(sql`family_id IS NOT NULL`),
    index('refresh_tokens_expires_at_idx').on(t.expiresAt),
    index('refresh_tokens_access_token_idx').on(t.accessTokenId),
    // Deleting an application deletes its rows (ON DELETE CASCADE): found by index, not a scan.
    index('refresh_tokens_application_idx').on(t.applicationId),
    // A user's refresh tokens (the console's token lists, deleting a user): found by index, as access tokens'.
    index('refresh_tokens_user_idx').on(t.userId),
  ],
)

/**
 * Row counts kept exact by triggers (written by hand into the migration that creates this table):
 * SQLite's `count(*)` reads every entry of an index, which at 100,000 users cost the unfiltered
 * users list ~3 ms of CPU a request (`npm run bench`, row 6b); this is one primary-key read.
 */
export const rowCounts = sqliteTable('row_counts', {
  name: text('name').primaryKey(),
  count: integer('count').notNull(),
})

/**
 * Django dumps imported to the end (`manage import-django`), by the SHA-256 of their JSON: running
 * the same import again writes nothing, so it cannot bring back a token revoked since (src/import/django.ts).
 */
export const djangoImports = sqliteTable('django_imports', {
  dumpDigest: text('dump_digest').primaryKey(),
  completedAt: integer('completed_at', { mode: 'timestamp' }).notNull(),
  /** Unix seconds: the expiry of the last token this dump brought (what IMPORTED_TOKENS_UNTIL must reach); null: none. */
  tokensUntil: integer('tokens_until'),
})

export type User = typeof users.$inferSelect
export type Application = typeof applications.$inferSelect

/** Authorization codes (RFC 6749 §4.1; DOT's `Grant` model): single use, short life. */
export const authorizationCodes = sqliteTable(
  'authorization_codes',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    /** SHA-256 of the code (32 bytes; hex in code). */
    codeHash: digest('code_hash').notNull().unique(),
    applicationId: integer('application_id')
      .notNull()
      .references(() => applications.id, { onDelete: 'cascade' }),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    redirectUri: text('redirect_uri').notNull(),
    scope: text('scope').notNull(),
    codeChallenge: text('code_challenge').notNull().default(''),
    codeChallengeMethod: text('code_challenge_method').notNull().default(''),
    nonce: text('nonce').notNull().default(''),
    authTime: integer('auth_time'),
    expiresAt: integer('expires_at').notNull(),
    /** Set on first redemption; a second one revokes what the first issued (§4.1.2). */
    redeemedAt: integer('redeemed_at'),
    createdAt: createdAt(),
    /** RFC 8707: the audience the authorization request named (as access_tokens.audience). */
    audience: text('audience'),
  },
  (t) => [
    index('authorization_codes_expires_at_idx').on(t.expiresAt),
    // Deleting an application deletes its codes (ON DELETE CASCADE): found by index, not a scan.
    index('authorization_codes_application_idx').on(t.applicationId),
  ],
)

/**
 * Device authorization requests (RFC 8628): a device code (held by the device, polled at the
 * token endpoint) and a user code (typed by the user at /o/device/), both stored as digests.
 * `pending` until the user approves or denies; `redeemed` once the one token response was issued.
 */
export const deviceCodes = sqliteTable(
  'device_codes',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    /** SHA-256 hex of the device code. */
    deviceCodeHash: text('device_code_hash').notNull().unique(),
    /** SHA-256 hex of the normalised user code (upper case, no dashes or spaces). */
    userCodeHash: text('user_code_hash').notNull().unique(),
    applicationId: integer('application_id')
      .notNull()
      .references(() => applications.id, { onDelete: 'cascade' }),
    scope: text('scope').notNull(),
    status: text('status', { enum: ['pending', 'approved', 'denied', 'redeemed'] })
      .notNull()
      .default('pending'),
    /** The user who approved or denied it. */
    userId: integer('user_id').references(() => users.id, { onDelete: 'cascade' }),
    /** OIDC auth_time of the approving user's login, for the id_token and refreshed ones. */
    authTime: integer('auth_time'),
    /** Seconds the device must wait between polls; each slow_down adds 5 (RFC 8628 §3.5). */
    interval: integer('interval').notNull(),
    /** Unix seconds of the last poll, to tell a device polling too fast (slow_down). */
    lastPolledAt: integer('last_polled_at'),
    expiresAt: integer('expires_at').notNull(),
    createdAt: createdAt(),
    /** RFC 8707: the audience the device authorization request named (as access_tokens.audience). */
    audience: text('audience'),
  },
  (t) => [
    index('device_codes_expires_at_idx').on(t.expiresAt),
    // Deleting an application deletes its device codes (ON DELETE CASCADE): found by index, not a scan.
    index('device_codes_application_idx').on(t.applicationId),
  ],
)

/**
 * API keys: DRF's `Token` model (`rest_framework.authtoken`), stored as a SHA-256 digest. A user
 * may hold several (one per device, as django-rest-knox), up to MAX_API_KEYS_PER_USER
 * (src/tokens/api-keys.ts). Called API keys in code; clients still see DRF's names (src/auth/authenticate.ts).
 */
export const apiKeys = sqliteTable(
  'api_keys',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    keyHash: text('key_hash').notNull().unique(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /**
     * The key's first characters, shown so its holder can tell which key a listing names (as
     * knox's token_key). Null for keys made before keys had prefixes: only their digest exists.
     */
    prefix: text('prefix'),
    createdAt: createdAt(),
  },
  (t) => [index('api_keys_user_idx').on(t.userId, t.id)],
)

/**
 * The operator console's change history (Django admin's LogEntry): who did what to which
 * object, when. The actor's username is copied so an entry outlives the actor's row; the
 * message describes the change in words and never holds a secret, password or token.
 */
export const auditLog = sqliteTable(
  'audit_log',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    actorId: integer('actor_id').references(() => users.id, { onDelete: 'set null' }),
    actorUsername: text('actor_username').notNull(),
    /** What was done, e.g. `user.deactivate`, `application.rotate_secret`. */
    action: text('action').notNull(),
    /** `user`, `application`, `token` or `api_key`; with objectId, what it was done to. */
    objectType: text('object_type').notNull(),
    objectId: text('object_id').notNull(),
    /** The object's name when it was changed (it may be renamed or deleted since). */
    objectRepr: text('object_repr').notNull(),
    message: text('message').notNull().default(''),
    createdAt: createdAt(),
  },
  (t) => [index('audit_log_object_idx').on(t.objectType, t.objectId), index('audit_log_actor_idx').on(t.actorId)],
)

export type AuditEntry = typeof auditLog.$inferSelect

/**
 * Pushed authorization requests (RFC 9126, src/oauth/authorization/pushed-requests.ts): the
 * parameters a client pushed, validated, until the authorization request that names their
 * request_uri is answered (single use) or they expire. The request_uri is kept as a digest.
 */
export const pushedAuthorizationRequests = sqliteTable(
  'pushed_authorization_requests',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    /** SHA-256 of the request_uri's random part (32 bytes; hex in code). */
    requestUriHash: digest('request_uri_hash').notNull().unique(),
    applicationId: integer('application_id')
      .notNull()
      .references(() => applications.id, { onDelete: 'cascade' }),
    /** The authorization request's parameters as pushed: JSON, name → every value. */
    params: text('params').notNull(),
    /** Unix seconds. */
    expiresAt: integer('expires_at').notNull(),
    /** Unix seconds the authorization response for it was sent; it is then used up (§4). */
    consumedAt: integer('consumed_at'),
    createdAt: createdAt(),
  },
  (t) => [
    index('pushed_authorization_requests_expires_at_idx').on(t.expiresAt),
    // Deleting an application deletes its pushed requests (ON DELETE CASCADE): found by index, not a scan.
    index('pushed_authorization_requests_application_idx').on(t.applicationId),
  ],
)

/**
 * One-time JWT IDs (src/tokens/replay.ts): a JWT that may be used once — a client assertion
 * (RFC 7523 §3), a DPoP proof (RFC 9449 §11.1), later ID-JAG assertions — leaves the digest of
 * its purpose, issuer and `jti` here until it expires, so a copy is refused on every isolate.
 */
export const usedJtis = sqliteTable(
  'used_jtis',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    /** SHA-256 of purpose, issuer and jti (32 bytes; hex in code). */
    keyHash: digest('key_hash').notNull().unique(),
    /** Unix seconds: the JWT's own exp; past it the JWT is refused anyway. */
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [index('used_jtis_expires_at_idx').on(t.expiresAt)],
)

/**
 * Enterprise identity providers whose ID-JAGs (draft-ietf-oauth-identity-assertion-authz-grant,
 * src/oauth/id-jag/) the jwt-bearer grant accepts: each by its issuer, its public keys (a JWK Set,
 * or a jwks_uri fetched as client key sets are) and the rule mapping an ID-JAG's subject to a local
 * user. Managed by `manage trustedidp` and audited.
 */
export const trustedIdentityProviders = sqliteTable('trusted_identity_providers', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  /** The IdP's issuer identifier (RFC 8414 §2), compared exactly with an ID-JAG's `iss`. */
  issuer: text('issuer').notNull().unique(),
  /** Its public signature keys (a JWK Set, JSON, src/oauth/client-keys.ts rules); null when jwksUri is set. */
  jwks: text('jwks'),
  /** Where its key set is fetched from instead; never both. */
  jwksUri: text('jwks_uri'),
  /** The ID-JAG claim naming the user (`email`, `preferred_username`, …). */
  userClaim: text('user_claim').notNull().default('email'),
  /** What that claim is compared with: a user's e-mail address or username. */
  userField: text('user_field', { enum: ['email', 'username'] })
    .notNull()
    .default('email'),
  createdAt: createdAt(),
})

export type TrustedIdentityProvider = typeof trustedIdentityProviders.$inferSelect

/**
 * The exchange policy of this server acting as an enterprise IdP (RFC 8693 token exchange for an
 * ID-JAG, src/oauth/grants/token-exchange.ts): which of its clients may ask for an ID-JAG for which
 * authorization server (`audience`) and resource, with what client_id there and at most what scope.
 * Managed by `manage idjagpolicy` and audited.
 */
export const idJagPolicies = sqliteTable(
  'id_jag_policies',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    applicationId: integer('application_id')
      .notNull()
      .references(() => applications.id, { onDelete: 'cascade' }),
    /** The other authorization server's issuer identifier: the ID-JAG's `aud`. */
    audience: text('audience').notNull(),
    /** The resource (RFC 8707, normal form: src/lib/resource-uri.ts) the ID-JAG may be for. */
    resource: text('resource').notNull(),
    /** The client's client_id at that authorization server: the ID-JAG's `client_id`. */
    audienceClientId: text('audience_client_id').notNull(),
    /** The most scope an ID-JAG may carry, space-separated; null: what the client asks for. */
    scope: text('scope'),
    createdAt: createdAt(),
  },
  // One rule per client, audience and resource; it also finds a client's rules (and its cascade delete).
  (t) => [uniqueIndex('id_jag_policies_application_idx').on(t.applicationId, t.audience, t.resource)],
)

export type IdJagPolicy = typeof idJagPolicies.$inferSelect

/**
 * Token fences (src/tokens/fences.ts), in every token database (the main one and each token shard):
 * a change that ends or refuses a user's tokens (deactivation, a new password, log out everywhere,
 * deletion) writes the generation it moves the user to here before it changes the user, and a
 * grant's write refuses itself when it read the user at an older generation (from a replica that had
 * not seen the change yet). One row per user ever fenced; never deleted (ids are never reused).
 */
export const userFences = sqliteTable('user_fences', {
  userId: integer('user_id').primaryKey(),
  /** The user's `session_generation` after the change; a grant that read less is refused. */
  generation: integer('generation').notNull(),
})

/** The same for applications: a new secret, client type or grant types, deletion (`applications.generation`). */
export const applicationFences = sqliteTable('application_fences', {
  applicationId: integer('application_id').primaryKey(),
  generation: integer('generation').notNull(),
})
