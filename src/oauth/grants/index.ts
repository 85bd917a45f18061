/**
 * @module
 * grant_type → handler. A grant_type missing here is unsupported_grant_type.
 */
import { passwordGrant } from './password.ts'
import type { GrantHandler } from './types.ts'

export const GRANTS: Record<string, GrantHandler> = {
  password: passwordGrant,
}
