/**
 * @module
 * The identity providers this server trusts for ID-JAGs (draft-ietf-oauth-identity-assertion-authz-
 * grant §4.1: "for each trusted issuer the Resource Authorization Server MUST be configured to
 * recognize that issuer, resolve identities asserted by that issuer to the appropriate local
 * account"): each one's issuer, its public keys (a JWK Set, or a jwks_uri fetched as client key
 * sets are, src/oauth/client-keys.ts) and the rule naming the local user (./subject.ts). Adding,
 * changing and removing one is audited in the same batch. The list is never published (§8.4).
 */
import { eq, exists, type SQL, sql } from 'drizzle-orm'
import { QueryBuilder } from 'drizzle-orm/sqlite-core'
import { type AuditActor, auditStatement } from '../../accounts/audit.ts'
import type { Db } from '../../db/client.ts'
import { type TrustedIdentityProvider, trustedIdentityProviders } from '../../db/schema.ts'
import { isLoopbackHost } from '../../lib/loopback.ts'
import { MAX_REDIRECT_URI_LENGTH } from '../application-rules.ts'
import { checkKeySet, jwksUriProblem, type PublicKeySet } from '../client-keys.ts'

/** What an ID-JAG's subject claim is compared with. */
export const USER_FIELDS = ['email', 'username'] as const
export type UserField = (typeof USER_FIELDS)[number]

export type IdpKeys = { jwks: PublicKeySet; jwksUri?: undefined } | { jwks?: undefined; jwksUri: string }

export type NewTrustedIdp = {
  issuer: string
  keys: IdpKeys
  /** Default: `email`. */
  userClaim?: string
  /** Default: `email`. */
  userField?: UserField
}

const CLAIM_NAME = /^[A-Za-z][A-Za-z0-9_.:-]{0,63}$/
// Claims that say what the ID-JAG is, not who the user is.
const NOT_A_USER_CLAIM = new Set(['iss', 'aud', 'exp', 'iat', 'nbf', 'jti', 'client_id', 'scope', 'resource', 'cnf'])

/**
 * Why `value` cannot be an identity provider's issuer, or null. RFC 8414 §2: an https URL with
 * no query or fragment (http on a loopback host, for a local test IdP). `ownIssuer`: this
 * server's, which the draft (§8.3) forbids trusting: "the IdP MUST NOT issue access tokens in
 * response to an ID-JAG it issued itself".
 */
export function issuerProblem(value: string, ownIssuer: string | null = null): string | null {
  if (value.length > MAX_REDIRECT_URI_LENGTH) return `The issuer has at most ${MAX_REDIRECT_URI_LENGTH} characters.`
  if (!URL.canParse(value) || /[?#\s]/.test(value)) return 'The issuer must be a URL with no query or fragment.'
  const url = new URL(value)
  if (url.username !== '' || url.password !== '') return 'The issuer may not hold credentials.'
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    return 'The issuer must be an https URL.'
  }
  if (ownIssuer !== null && value.replace(/\/+$/, '') === ownIssuer.replace(/\/+$/, '')) {
    return 'This server’s own issuer cannot be trusted for ID-JAGs: it would accept grants it issued itself.'
  }
  return null
}

/** Why `claim` cannot name the user, or null. */
export function userClaimProblem(claim: string): string | null {
  if (!CLAIM_NAME.test(claim)) return 'The user claim must be a claim name (letters, digits, _ . : -).'
  if (NOT_A_USER_CLAIM.has(claim)) return `The ${claim} claim does not name a user.`
  return null
}

/** The keys as the CLI or a form gives them: a JWK Set (JSON text or parsed) or a jwks_uri; or why not. */
export function idpKeysFrom(jwks: unknown, jwksUri: string | undefined): IdpKeys | string {
  if ((jwks === undefined) === (jwksUri === undefined)) return 'Give the identity provider’s jwks or its jwks_uri.'
  if (jwksUri !== undefined) return jwksUriProblem(jwksUri) ?? { jwksUri }
  const set = checkKeySet(jwks)
  return typeof set === 'string' ? set : { jwks: set }
}

function describe(input: Required<Omit<NewTrustedIdp, 'issuer'>>): string {
  const keys =
    input.keys.jwksUri !== undefined
      ? `keys at ${input.keys.jwksUri}`
      : `keys ${input.keys.jwks.keys.map((key) => key.kid ?? '(no kid)').join(', ')}`
  return `${keys}; users by claim ${input.userClaim} matched to their ${input.userField}`
}

/**
 * Trusts `input.issuer` for ID-JAGs, or replaces what is kept for it (a key rotation, a new
 * rule), audited. The caller checked the issuer (`issuerProblem`) and the claim (`userClaimProblem`).
 */
export async function trustIdentityProvider(
  db: Db,
  actor: AuditActor,
  input: NewTrustedIdp,
): Promise<{ provider: TrustedIdentityProvider; replaced: boolean }> {
  const settings = { keys: input.keys, userClaim: input.userClaim ?? 'email', userField: input.userField ?? 'email' }
  const values = {
    jwks: input.keys.jwks === undefined ? null : JSON.stringify(input.keys.jwks),
    jwksUri: input.keys.jwksUri ?? null,
    userClaim: settings.userClaim,
    userField: settings.userField,
  }
  const existing = await findTrustedIdp(db, input.issuer)
  const [[provider]] = await db.batch([
    db
      .insert(trustedIdentityProviders)
      .values({ issuer: input.issuer, ...values })
      .onConflictDoUpdate({ target: trustedIdentityProviders.issuer, set: values })
      .returning(),
    auditStatement(db, actor, {
      action: existing ? 'identity_provider.change' : 'identity_provider.trust',
      objectType: 'identity_provider',
      objectId: sql`(${db
        .select({ id: trustedIdentityProviders.id })
        .from(trustedIdentityProviders)
        .where(eq(trustedIdentityProviders.issuer, input.issuer))})`,
      objectRepr: input.issuer,
      message: `${existing ? 'Changed' : 'Trusted'} identity provider ${input.issuer} for ID-JAGs: ${describe(settings)}.`,
    }),
  ])
  return { provider, replaced: existing !== undefined }
}

/** Stops trusting `issuer`, audited; false when it was not trusted. */
export async function distrustIdentityProvider(db: Db, actor: AuditActor, issuer: string): Promise<boolean> {
  const existing = await findTrustedIdp(db, issuer)
  if (!existing) return false
  await db.batch([
    db.delete(trustedIdentityProviders).where(eq(trustedIdentityProviders.id, existing.id)),
    auditStatement(db, actor, {
      action: 'identity_provider.remove',
      objectType: 'identity_provider',
      objectId: existing.id,
      objectRepr: issuer,
      message: `Stopped trusting identity provider ${issuer} for ID-JAGs.`,
    }),
  ])
  return true
}

export async function findTrustedIdp(db: Db, issuer: string): Promise<TrustedIdentityProvider | undefined> {
  return db.select().from(trustedIdentityProviders).where(eq(trustedIdentityProviders.issuer, issuer)).get()
}

export async function findTrustedIdpById(db: Db, id: number): Promise<TrustedIdentityProvider | undefined> {
  if (!Number.isSafeInteger(id)) return undefined
  return db.select().from(trustedIdentityProviders).where(eq(trustedIdentityProviders.id, id)).get()
}

export async function listTrustedIdps(db: Db): Promise<TrustedIdentityProvider[]> {
  return db.select().from(trustedIdentityProviders).orderBy(trustedIdentityProviders.issuer)
}

/** A condition for the write of a token an ID-JAG allowed: its issuer is still trusted. */
export function idpStillTrusted(provider: Pick<TrustedIdentityProvider, 'id'>): SQL {
  return exists(
    new QueryBuilder()
      .select({ id: trustedIdentityProviders.id })
      .from(trustedIdentityProviders)
      .where(eq(trustedIdentityProviders.id, provider.id)),
  )
}
