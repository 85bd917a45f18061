/**
 * @module
 * RFC 6749 §3.1.1 response_type: only `code`, and only for a client registered for the
 * authorization code grant (§4.1.2.1 unauthorized_client).
 */
import type { Application } from '../../db/schema.ts'
import { OAuthError } from '../../http/oauth.ts'
import { allowsGrant } from '../applications.ts'
import type { AuthorizeParams } from './params.ts'

export function checkResponseType(params: AuthorizeParams, application: Application): void {
  if (!params.response_type) throw new OAuthError('invalid_request', 'Missing parameter: response_type.')
  if (params.response_type !== 'code') {
    throw new OAuthError('unsupported_response_type', 'Only response_type=code is supported.')
  }
  if (!allowsGrant(application, 'authorization-code')) {
    throw new OAuthError('unauthorized_client', 'This client may not use the authorization code grant.')
  }
}
