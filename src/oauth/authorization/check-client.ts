/**
 * @module
 * The client of an authorization request (RFC 6749 §4.1.1 client_id): a registered application,
 * or a client ID metadata document resolved to one. Nothing is redirected before this and the
 * redirect_uri check pass: an unknown client gets an error page.
 */
import type { Db } from '../../db/client.ts'
import type { Application } from '../../db/schema.ts'
import { OAuthError } from '../../http/oauth.ts'
import { findApplicationByClientId } from '../applications.ts'
import { isUrlClientId } from '../client-metadata-document.ts'
import type { AuthorizeInput } from './params.ts'
import { UntrustedRequest } from './request.ts'

/**
 * Resolves a client_id written as a URL, given the row read for it (client-metadata-document.ts
 * `resolveUrlClient`, bound to the request); throws OAuthError when the client cannot be trusted.
 */
export type UrlClientResolver = (clientId: string, seen: Application | undefined) => Promise<Application | undefined>

export async function checkClient(
  db: Db,
  { params, repeated }: AuthorizeInput,
  resolveUrlClient: UrlClientResolver,
): Promise<Application> {
  let application = params.client_id ? await findApplicationByClientId(db, params.client_id) : undefined
  if (params.client_id && isUrlClientId(params.client_id)) {
    try {
      application = await resolveUrlClient(params.client_id, application)
    } catch (error) {
      // A client ID metadata document that cannot be used: nothing about the client can be trusted.
      if (!(error instanceof OAuthError)) throw error
      const limited = error.status === 429
      throw new UntrustedRequest(error.code, error.message, limited ? { status: 429, headers: error.headers } : {})
    }
  }
  if (!application || repeated.includes('client_id')) {
    throw new UntrustedRequest('invalid_client_id', 'Unknown or missing client_id.')
  }
  return application
}
