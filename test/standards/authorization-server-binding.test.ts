/**
 * MCP 2026-07-28 Client Registration › Authorization Server Binding (SEP-2352), the server's
 * side: a client keys what it registered and was issued by the authorization server's issuer
 * identifier, found in the resource's RFC 9728 metadata, checked against the RFC 8414 metadata
 * (§3.3: identical) and against every authorization response (RFC 9207) and id_token. So this
 * server writes one issuer string, the same everywhere, whatever ISSUER's spelling; when ISSUER
 * changes, every one of them changes with it and clients re-register.
 */
import { decodeJwt } from 'jose'
import { describe, expect, it } from 'vitest'
import {
  authorizationCode,
  fetchWithSettings,
  form,
  login,
  makeApplication,
  makeUser,
  ORIGIN,
  passwordToken,
  pkcePair,
  REDIRECT_URI,
} from '../helpers.ts'

type Deployment = {
  name: string
  host: string
  settings: Record<string, string>
  issuer: string
  /** RFC 8414 §3 / OIDC Discovery §4: where the server metadata is, given the issuer's path. */
  serverMetadata: string[]
}

const ROOT_SERVER_METADATA = ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']

const DEPLOYMENTS: Deployment[] = [
  { name: 'the tests’ ISSUER', host: ORIGIN, settings: {}, issuer: ORIGIN, serverMetadata: ROOT_SERVER_METADATA },
  {
    name: 'ISSUER written with a trailing slash',
    host: 'https://id.example.org',
    settings: { ISSUER: 'https://id.example.org/' },
    issuer: 'https://id.example.org',
    serverMetadata: ROOT_SERVER_METADATA,
  },
  {
    name: 'ISSUER with DOT’s path (<origin>/o)',
    host: 'https://dot.example.org',
    settings: { ISSUER: 'https://dot.example.org/o' },
    issuer: 'https://dot.example.org/o',
    serverMetadata: [
      '/.well-known/oauth-authorization-server/o',
      '/.well-known/openid-configuration/o',
      '/o/.well-known/openid-configuration',
    ],
  },
]

const RESOURCE_METADATA = ['', '/api', '/mcp'].map((path) => `/.well-known/oauth-protected-resource${path}`)

async function getJson(deployment: Deployment, path: string) {
  const response = await fetchWithSettings(new Request(deployment.host + path), deployment.settings)
  expect(response.status).toBe(200)
  return response.json<Record<string, unknown>>()
}

/** `iss` of an authorization response (RFC 9207) from this deployment. */
async function authorizationResponseIssuer(deployment: Deployment): Promise<string | null> {
  const app = await makeApplication({
    grantTypes: ['authorization-code'],
    redirectUris: [REDIRECT_URI],
    skipAuthorization: true,
  })
  const pkce = await pkcePair()
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: app.clientId,
    redirect_uri: REDIRECT_URI,
    code_challenge: pkce.challenge,
    code_challenge_method: 'S256',
  })
  const response = await fetchWithSettings(
    new Request(`${deployment.host}/o/authorize/?${query}`, {
      headers: { Cookie: await login(await makeUser()) },
      redirect: 'manual',
    }),
    deployment.settings,
  )
  return new URL(response.headers.get('Location') ?? '').searchParams.get('iss')
}

/** `iss` of an id_token this deployment issues (OIDC Core §2). */
async function idTokenIssuer(deployment: Deployment): Promise<string | undefined> {
  const { params } = await authorizationCode({ scopes: ['openid'] })
  const response = await fetchWithSettings(
    new Request(`${deployment.host}/o/token/`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: form(params),
    }),
    deployment.settings,
  )
  const { id_token } = await response.json<{ id_token: string }>()
  return decodeJwt(id_token).iss
}

describe('SEP-2352: the issuer a client binds its credentials to is one string everywhere', () => {
  for (const deployment of DEPLOYMENTS) {
    it(`${deployment.name}: resource metadata, server metadata, authorization responses and id_tokens agree`, async () => {
      for (const path of RESOURCE_METADATA) {
        expect((await getJson(deployment, path)).authorization_servers).toEqual([deployment.issuer])
      }
      for (const path of deployment.serverMetadata) {
        const metadata = await getJson(deployment, path)
        expect(metadata.issuer).toBe(deployment.issuer)
        // Its endpoints are the issuer's: a client never sends its credentials to another server.
        for (const field of ['authorization_endpoint', 'token_endpoint']) {
          expect(metadata[field]).toMatch(new RegExp(`^${new URL(deployment.issuer).origin}/o/`))
        }
      }
      expect(await authorizationResponseIssuer(deployment)).toBe(deployment.issuer)
      expect(await idTokenIssuer(deployment)).toBe(deployment.issuer)
    })
  }

  it('moving ISSUER moves the MCP resource too: a token bound to the old <issuer>/mcp is refused at the new one', async () => {
    const [before, after] = DEPLOYMENTS
    const { body } = await passwordToken('read', `${before.issuer}/mcp`)
    const ping = (deployment: Deployment) =>
      fetchWithSettings(
        new Request(`${deployment.host}/mcp`, {
          method: 'POST',
          headers: {
            Authorization: `Bearer ${body.access_token}`,
            Accept: 'application/json, text/event-stream',
            'Content-Type': 'application/json',
          },
          body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
        }),
        deployment.settings,
      )
    expect((await ping(before)).status).toBe(200)
    const moved = await ping(after)
    expect(moved.status).toBe(401)
    // The challenge sends the client to the new issuer's resource metadata.
    expect(moved.headers.get('WWW-Authenticate')).toContain(
      `resource_metadata="${after.issuer}/.well-known/oauth-protected-resource/mcp"`,
    )
  })
})
