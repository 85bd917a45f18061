/**
 * @module
 * grant_type → handler. A grant_type missing here is unsupported_grant_type.
 */

import { DEVICE_CODE_GRANT, JWT_BEARER_GRANT } from '../../db/schema.ts'
import { authorizationCodeGrant } from './authorization-code.ts'
import { clientCredentialsGrant } from './client-credentials.ts'
import { deviceCodeGrant } from './device-code.ts'
import { jwtBearerGrant } from './jwt-bearer.ts'
import { passwordGrant } from './password.ts'
import { refreshTokenGrant } from './refresh-token.ts'
import { TOKEN_EXCHANGE_GRANT, tokenExchangeGrant } from './token-exchange.ts'
import type { GrantHandler } from './types.ts'

export const GRANTS: Record<string, GrantHandler> = {
  authorization_code: authorizationCodeGrant,
  client_credentials: clientCredentialsGrant,
  password: passwordGrant,
  refresh_token: refreshTokenGrant,
  [DEVICE_CODE_GRANT]: deviceCodeGrant,
  // Enterprise-managed authorization: an ID-JAG presented here, and one issued here as an IdP.
  [JWT_BEARER_GRANT]: jwtBearerGrant,
  [TOKEN_EXCHANGE_GRANT]: tokenExchangeGrant,
}
