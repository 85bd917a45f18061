/**
 * @module
 * What this server supports, described once: RFC 8414 authorization server metadata
 * (`GET /.well-known/oauth-authorization-server`, served here) and OIDC Discovery 1.0
 * (/.well-known/openid-configuration, which extends it). Grant types come from the token
 * endpoint's own table, so the documents list exactly what the server does and grow with it.
 */
import { createRoute, type RouteHandler, z } from '@hono/zod-openapi'
import type { Handler } from 'hono'
import type { Config } from '../config.ts'
import { DPOP_ALGORITHMS } from '../crypto/dpop.ts'
import { SIGNING_ALGORITHMS, type SigningKeys } from '../crypto/signing-keys.ts'
import { JWT_BEARER_GRANT } from '../db/schema.ts'
import { oauth } from '../http/oauth.ts'
import { jsonResponse } from '../http/openapi.ts'
import { config } from '../lib/request-context.ts'
import { issuer, issuerOrigin, issuerPath } from '../resource/issuer.ts'
import type { AppEnv } from '../types.ts'
import { CLIENT_AUTH_METHODS } from './client-auth.ts'
import { CLIENT_ASSERTION_ALGORITHMS } from './client-keys.ts'
import { GRANTS } from './grants/index.ts'
import { ID_JAG_TOKEN_TYPE, TOKEN_EXCHANGE_GRANT } from './grants/token-exchange.ts'
import { SCOPE_CLAIMS } from './oidc/claims.ts'

/** Paths of the endpoints the metadata points to (the OIDC routes are declared with these). */
export const ENDPOINTS = {
  authorization: '/o/authorize/',
  token: '/o/token/',
  revocation: '/o/revoke-token/',
  introspection: '/o/introspect/',
  // RFC 8628 §3.1 and §3.3: where the device starts, and the page where the user answers.
  deviceAuthorization: '/o/device-authorization/',
  deviceVerification: '/o/device/',
  userinfo: '/o/userinfo/',
  endSession: '/o/logout/',
  jwks: '/o/.well-known/jwks.json',
  registration: '/o/register/',
  // RFC 9126 §2.
  pushedAuthorization: '/o/par/',
  openidConfiguration: '/.well-known/openid-configuration',
} as const

/** The draft's §7.2 profile identifier: this server processes ID-JAGs. */
const ID_JAG_PROFILE = 'urn:ietf:params:oauth:grant-profile:id-jag'

// OIDC Core §2 / §3.1.3.6: the claims an id_token carries besides the user's.
const ID_TOKEN_CLAIMS = ['iss', 'sub', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'at_hash'] as const

/**
 * RFC 8414 §2 fields. The code flow's fields appear once the authorization_code grant exists.
 * Endpoints are at the issuer's origin: an issuer path (`<origin>/o`) is not put in front of them.
 */
function authorizationServerMetadata(issuer: string, config: Config): Record<string, unknown> {
  const grantTypes = Object.keys(GRANTS)
  const codeFlow = grantTypes.includes('authorization_code')
  const base = issuerOrigin(issuer)
  return {
    issuer,
    ...(codeFlow ? { authorization_endpoint: base + ENDPOINTS.authorization } : {}),
    token_endpoint: base + ENDPOINTS.token,
    jwks_uri: base + ENDPOINTS.jwks,
    scopes_supported: Object.keys(config.scopes),
    response_types_supported: codeFlow ? ['code'] : [],
    ...(codeFlow
      ? {
          response_modes_supported: ['query'],
          code_challenge_methods_supported: config.pkceAllowPlain ? ['S256', 'plain'] : ['S256'],
          // RFC 9207 §3: every authorization response carries `iss`.
          authorization_response_iss_parameter_supported: true,
        }
      : {}),
    grant_types_supported: grantTypes.sort(),
    token_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHODS],
    // RFC 8414 §2: the algorithms of private_key_jwt assertions (asymmetric only), at each endpoint.
    token_endpoint_auth_signing_alg_values_supported: [...CLIENT_ASSERTION_ALGORITHMS],
    revocation_endpoint: base + ENDPOINTS.revocation,
    revocation_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHODS],
    revocation_endpoint_auth_signing_alg_values_supported: [...CLIENT_ASSERTION_ALGORITHMS],
    introspection_endpoint: base + ENDPOINTS.introspection,
    // Public clients cannot introspect: a client_id alone proves nothing.
    introspection_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS.filter((method) => method !== 'none'),
    introspection_endpoint_auth_signing_alg_values_supported: [...CLIENT_ASSERTION_ALGORITHMS],
    // RFC 7591 §3 / RFC 8414 §2: only where clients may register themselves.
    ...(config.clientRegistration.policy === 'off' ? {} : { registration_endpoint: base + ENDPOINTS.registration }),
    // RFC 8628 §4.
    device_authorization_endpoint: base + ENDPOINTS.deviceAuthorization,
    // RFC 9449 §5.1: DPoP proofs are accepted at the token endpoint, signed with these.
    dpop_signing_alg_values_supported: [...DPOP_ALGORITHMS],
    // draft-ietf-oauth-client-id-metadata-document "Authorization Server Metadata".
    client_id_metadata_document_supported: config.clientIdMetadataDocuments,
    // draft-ietf-oauth-identity-assertion-authz-grant §7: ID-JAGs are accepted (jwt-bearer) and
    // issued (token exchange). Which identity providers are trusted is never published (§8.4).
    ...(grantTypes.includes(JWT_BEARER_GRANT) ? { authorization_grant_profiles_supported: [ID_JAG_PROFILE] } : {}),
    ...(grantTypes.includes(TOKEN_EXCHANGE_GRANT)
      ? { identity_chaining_requested_token_types_supported: [ID_JAG_TOKEN_TYPE] }
      : {}),
    // RFC 9126 §5.
    ...(codeFlow
      ? {
          pushed_authorization_request_endpoint: issuer + ENDPOINTS.pushedAuthorization,
          require_pushed_authorization_requests: config.requirePushedAuthorizationRequests,
        }
      : {}),
  }
}

/** OIDC Discovery 1.0 §3: the RFC 8414 fields plus the OpenID Provider's own. */
export function openidConfiguration(issuer: string, config: Config, keys: SigningKeys): Record<string, unknown> {
  const base = issuerOrigin(issuer)
  const profileScopes = Object.keys(SCOPE_CLAIMS).filter((scope) => Object.hasOwn(config.scopes, scope))
  return {
    ...authorizationServerMetadata(issuer, config),
    userinfo_endpoint: base + ENDPOINTS.userinfo,
    // RP-Initiated Logout 1.0 §2.1.
    end_session_endpoint: base + ENDPOINTS.endSession,
    subject_types_supported: ['public'],
    // OIDC Discovery 1.0 §3: omitted, this one defaults to true; request objects are not supported.
    request_uri_parameter_supported: false,
    // Only the algorithms a key is configured for (the key set always holds an RS256 key).
    id_token_signing_alg_values_supported: SIGNING_ALGORITHMS.filter((alg) => keys.signer(alg)),
    claims_supported: [
      ...ID_TOKEN_CLAIMS,
      ...profileScopes.flatMap((scope) => SCOPE_CLAIMS[scope as keyof typeof SCOPE_CLAIMS]),
    ],
  }
}

const MetadataSchema = z.record(z.string(), z.unknown()).openapi('ServerMetadata')

export const metadataRoute = createRoute({
  method: 'get',
  path: '/.well-known/oauth-authorization-server',
  tags: ['OAuth2'],
  summary: 'Authorization server metadata (RFC 8414)',
  responses: {
    200: jsonResponse('Metadata (RFC 8414 §2)', MetadataSchema),
  },
})

export const metadata: RouteHandler<typeof metadataRoute, AppEnv> = (c) =>
  c.json(authorizationServerMetadata(issuer(c), config(c)), 200)

/**
 * RFC 8414 §3.1: the well-known URI of an issuer with a path is `/.well-known/<name>` followed by
 * that path (`/.well-known/oauth-authorization-server/o`); OIDC Discovery 1.0 §4 appends instead
 * (`/o/.well-known/openid-configuration`, where DOT served it, with its trailing slash too).
 * Route patterns for the path forms, and whether a request reached the form of this server's issuer.
 */
export const ISSUER_PATH_FORMS = {
  metadata: `${metadataRoute.path}/*`,
  openidConfiguration: `${ENDPOINTS.openidConfiguration}/*`,
  openidConfigurationAppended: `/:issuerPath{.+}${ENDPOINTS.openidConfiguration}`,
  openidConfigurationAppendedSlash: `/:issuerPath{.+}${ENDPOINTS.openidConfiguration}/`,
} as const

export function atIssuerPath(issuer: string, requestPath: string, document: string): boolean {
  const path = issuerPath(issuer)
  if (path === '') return false
  const inserted = document + path
  const appended = path + document
  return requestPath === inserted || requestPath === appended || requestPath === `${appended}/`
}

/** `metadata` at the path form of an issuer with a path; 404 at any other issuer's. */
export const pathMetadata: Handler<AppEnv> = (c) => {
  const id = issuer(c)
  if (!atIssuerPath(id, c.req.path, metadataRoute.path)) return oauth.notFound(c)
  return c.json(authorizationServerMetadata(id, config(c)), 200)
}
