/**
 * @module
 * RFC 9126 §4: an authorization request that names a request_uri is the request pushed under it,
 * by the same client, unexpired and not yet answered; every other parameter sent beside it but
 * client_id is ignored (as RFC 9101 §5 says of request objects). A request_uri that names no such
 * request gets an error page: its redirect_uri is not known yet.
 */

import type { TokenFormat } from '../../crypto/token-format.ts'
import type { Db } from '../../db/client.ts'
import type { Application } from '../../db/schema.ts'
import type { AuthorizeInput } from './params.ts'
import { findPushedRequest, type PushedRequest } from './pushed-requests.ts'
import { UntrustedRequest } from './request.ts'

export async function loadPushedRequest(
  reads: Db,
  primary: Db,
  format: TokenFormat,
  application: Application,
  { params, repeated }: AuthorizeInput,
): Promise<PushedRequest | null> {
  if (params.request_uri === undefined && !repeated.includes('request_uri')) return null
  const pushed =
    params.request_uri === undefined ? undefined : await findPushedRequest(reads, primary, format, params.request_uri)
  if (!pushed || pushed.applicationId !== application.id) {
    throw new UntrustedRequest(
      'invalid_request_uri',
      'The request_uri is unknown, expired, already used, or not this client’s.',
    )
  }
  return pushed
}
