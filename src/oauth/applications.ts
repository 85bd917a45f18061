/**
 * @module
 * OAuth2 applications (DOT's Application model). The client secret is shown once, at
 * creation, and stored only as a SHA-256 digest.
 */
import { eq } from 'drizzle-orm'
import { sha256Hex } from '../crypto/digest.ts'
import { randomString } from '../crypto/random.ts'
import type { SigningAlgorithm } from '../crypto/signing-keys.ts'
import { mintToken } from '../crypto/token-format.ts'
import type { Db } from '../db/client.ts'
import { type Application, applications } from '../db/schema.ts'
import type { ApplicationGrant } from './grants/types.ts'

export const CLIENT_TYPES = ['confidential', 'public'] as const
export const APPLICATION_GRANTS = ['password', 'client-credentials', 'authorization-code'] as const

export type NewApplication = {
  name: string
  clientType: (typeof CLIENT_TYPES)[number]
  grantTypes: ApplicationGrant[]
  redirectUris?: string[]
  userId?: number | null
  skipAuthorization?: boolean
  /** id_token signing algorithm (DOT's `algorithm`); RS256 when absent. */
  algorithm?: SigningAlgorithm
  /** Where RP-initiated logout may send the browser back to. */
  postLogoutRedirectUris?: string[]
  /** Generated when absent (40 alphanumeric characters, as DOT). */
  clientId?: string
  /** Generated for confidential clients when absent; public clients have none. */
  clientSecret?: string
}

export type CreatedApplication = Application & { clientSecret: string | null }

export async function createApplication(db: Db, input: NewApplication): Promise<CreatedApplication> {
  const clientSecret = input.clientType === 'public' ? null : (input.clientSecret ?? mintToken('clientSecret'))
  const application = await db
    .insert(applications)
    .values({
      name: input.name,
      clientType: input.clientType,
      grantTypes: input.grantTypes.join(' '),
      redirectUris: (input.redirectUris ?? []).join(' '),
      userId: input.userId ?? null,
      skipAuthorization: input.skipAuthorization ?? false,
      algorithm: input.algorithm ?? 'RS256',
      postLogoutRedirectUris: (input.postLogoutRedirectUris ?? []).join(' '),
      clientId: input.clientId ?? randomString(40),
      clientSecretHash: clientSecret === null ? '' : await sha256Hex(clientSecret),
    })
    .returning()
    .get()
  return { ...application, clientSecret }
}

export async function findApplicationByClientId(db: Db, clientId: string): Promise<Application | undefined> {
  return db.select().from(applications).where(eq(applications.clientId, clientId)).get()
}
