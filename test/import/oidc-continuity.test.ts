/**
 * Moving in keeps every relying party working: after an import of the real dot-3.4.1 dump, with
 * ISSUER set to DOT's default issuer (`<origin>/o`), a relying party that kept the (iss, sub) of a
 * DOT id_token — openid-client, a client nobody here wrote, discovering the server from the issuer
 * alone — receives id_tokens and userinfo naming the same user. DOT's rules, read from its source
 * (oauth2_provider/settings.py `oidc_issuer`, oauth2_validators.py `get_jwt_bearer_token`): the
 * issuer is the discovery URL less `/.well-known/openid-configuration/`, i.e. `<origin>/o` with
 * DOT's URLconf under `o/`; `sub` is `str(user.id)`.
 */
import { eq } from 'drizzle-orm'
import * as client from 'openid-client'
import { beforeAll, describe, expect, it } from 'vitest'
import { createUser } from '../../src/accounts/users.ts'
import { users } from '../../src/db/schema.ts'
import { importDjangoDump } from '../../src/import/django.ts'
import dump from '../fixtures/django/dot-3.4.1/dump.json'
import secrets from '../fixtures/django/dot-3.4.1/secrets.json'
import { db, fetchWithSettings, form, importedTokensDb, ORIGIN } from '../helpers.ts'
import { liveDump, REFRESH_LIFETIME, SLOW } from './dumps.ts'

const DOT_ISSUER = `${ORIGIN}/o`
const { data, now } = liveDump(dump)
const djangoPk = (username: string) =>
  (data.find((record) => record.model === 'auth.user' && record.fields.username === username)?.pk ?? 0) as number
const authcode = secrets.clients.authorization_code
const CALLBACK = 'http://127.0.0.1:9/cb'

let settings: Record<string, string>

beforeAll(async () => {
  // A user made and deleted here first: ids handed out in order would no longer be Django's.
  const early = await createUser(db, { username: 'early-bird', password: 'an early password 1' })
  await db.delete(users).where(eq(users.id, early.id))
  const summary = await importDjangoDump(db, data, {
    now,
    refreshLifetime: REFRESH_LIFETIME,
    tokens: importedTokensDb(),
  })
  settings = {
    ISSUER: DOT_ISSUER,
    IMPORTED_TOKENS_UNTIL: new Date((summary.tokensUntil ?? 0) * 1000).toISOString(),
  }
}, SLOW.timeout)

const get = (path: string, extra: Record<string, string> = {}) =>
  fetchWithSettings(new Request(`${ORIGIN}${path}`), { ...settings, ...extra })

/** openid-client's fetch: every request goes to the Worker with DOT's issuer; the paths it asked for are logged. */
function workerFetch(log: string[]): client.CustomFetch {
  return async (url, options) => {
    const request = new Request(url, { method: options.method, headers: options.headers, body: options.body })
    const response = await fetchWithSettings(request, settings)
    log.push(`${request.method} ${new URL(request.url).pathname} ${response.status}`)
    return response
  }
}

/** A person logs in as `username` and approves the authorization request; where the browser is sent back. */
async function approveAs(username: string, password: string, authorizationUrl: URL): Promise<URL> {
  const post = (path: string, values: Record<string, string>, headers: Record<string, string> = {}) =>
    fetchWithSettings(
      new Request(`${ORIGIN}${path}`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: ORIGIN, ...headers },
        body: form(values),
      }),
      settings,
    )
  const loggedIn = await post('/accounts/login/', { username, password })
  expect(loggedIn.status).toBe(302)
  const cookie = (loggedIn.headers.get('Set-Cookie') ?? '').split(';')[0]
  const decision = await post(
    '/o/authorize/',
    { ...Object.fromEntries(authorizationUrl.searchParams), allow: 'Approve' },
    { Cookie: cookie },
  )
  expect(decision.status).toBe(302)
  return new URL(decision.headers.get('Location') ?? '')
}

describe('OIDC continuity after import-django (dot-3.4.1), ISSUER = <origin>/o', () => {
  it("a relying party that kept DOT's (iss, sub) for alice accepts the new server's id_token and userinfo as the same user", {
    timeout: 120_000,
  }, async () => {
    // What the relying party stored when DOT logged alice in: its users keyed by (iss, sub).
    const accounts = new Map([[`${DOT_ISSUER} ${String(djangoPk('alice'))}`, 'rp-account-of-alice']])

    const log: string[] = []
    const config = await client.discovery(
      new URL(DOT_ISSUER),
      authcode.client_id,
      undefined,
      client.ClientSecretBasic(authcode.client_secret),
      { [client.customFetch]: workerFetch(log) },
    )
    // OIDC Discovery 1.0 §4: the issuer's path, then /.well-known/openid-configuration — DOT's own address.
    expect(log[0]).toBe('GET /o/.well-known/openid-configuration 200')
    expect(config.serverMetadata().issuer).toBe(DOT_ISSUER)

    const verifier = client.randomPKCECodeVerifier()
    const nonce = client.randomNonce()
    const authorizationUrl = client.buildAuthorizationUrl(config, {
      redirect_uri: CALLBACK,
      scope: 'openid profile',
      nonce,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    })
    const callback = await approveAs('alice', secrets.users.alice, authorizationUrl)
    // openid-client checks the id_token's signature (JWKS), iss, aud, nonce and RFC 9207's `iss`.
    const tokens = await client.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedNonce: nonce,
      idTokenExpected: true,
    })
    const claims = tokens.claims()
    expect(claims?.iss).toBe(DOT_ISSUER)
    expect(claims?.sub).toBe(String(djangoPk('alice')))
    expect(accounts.get(`${claims?.iss} ${claims?.sub}`)).toBe('rp-account-of-alice')

    // OIDC Core §5.3.2: userinfo's sub must be the id_token's (openid-client checks it).
    const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims?.sub ?? '')
    expect(userinfo.preferred_username).toBe('alice')
  })

  it("every imported user keeps Django's id, so their sub; a user created afterwards gets an id above all of them", async () => {
    for (const username of ['alice', 'bob', 'carol', 'dave']) {
      const row = await db.select({ id: users.id }).from(users).where(eq(users.username, username)).get()
      expect(row?.id, username).toBe(djangoPk(username))
    }
    const later = await createUser(db, { username: 'newcomer', password: 'a long fresh password 1' })
    const highest = Math.max(...['alice', 'bob', 'carol', 'dave'].map(djangoPk))
    expect(later.id).toBeGreaterThan(highest)
  })

  it('RFC 8414 §3.1 and OIDC Discovery §4: every discovery address of an issuer with a path answers the same document', async () => {
    const addresses = [
      '/o/.well-known/openid-configuration',
      // DOT's own URL pattern ends with a slash; relying parties may have kept it.
      '/o/.well-known/openid-configuration/',
      '/.well-known/openid-configuration/o',
      '/.well-known/oauth-authorization-server/o',
      // Still served at the origin's address too, for clients configured with the host alone.
      '/.well-known/openid-configuration',
    ]
    const documents: Record<string, unknown>[] = []
    for (const path of addresses) {
      const response = await get(path)
      expect(response.status, path).toBe(200)
      documents.push(await response.json())
    }
    for (const document of documents) {
      expect(document).toMatchObject({
        issuer: DOT_ISSUER,
        // Endpoints stay where they are: the issuer's path is not put in front of them again.
        authorization_endpoint: `${ORIGIN}/o/authorize/`,
        token_endpoint: `${ORIGIN}/o/token/`,
        jwks_uri: `${ORIGIN}/o/.well-known/jwks.json`,
        introspection_endpoint: `${ORIGIN}/o/introspect/`,
        device_authorization_endpoint: `${ORIGIN}/o/device-authorization/`,
      })
    }
    // The OIDC documents are one; the RFC 8414 one is the same less the OpenID Provider's fields.
    expect(documents[1]).toEqual(documents[0])
    expect(documents[2]).toEqual(documents[0])
    expect(documents[4]).toEqual(documents[0])
    for (const [name, value] of Object.entries(documents[3])) expect(documents[0][name], name).toEqual(value)
    expect((await get('/o/.well-known/jwks.json')).status).toBe(200)
  })

  it('RFC 9728: the resources stay at the origin, and name the issuer with its path as their authorization server', async () => {
    const response = await get('/.well-known/oauth-protected-resource/api')
    expect(await response.json()).toMatchObject({
      resource: `${ORIGIN}/api`,
      authorization_servers: [DOT_ISSUER],
    })
    const device = await fetchWithSettings(
      new Request(`${ORIGIN}/o/device-authorization/`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: form({ client_id: secrets.clients.device.client_id, scope: 'read' }),
      }),
      settings,
    )
    // DOT 3's device-grant client came across (RFC 8628 §3.1); the verification page is where it always is.
    expect(device.status).toBe(200)
    expect(await device.json()).toMatchObject({ verification_uri: `${ORIGIN}/o/device/` })
  })

  it("another issuer's discovery addresses are not served: without a path, nothing under /o/.well-known but the JWKS", async () => {
    const root = { ISSUER: ORIGIN }
    expect((await get('/o/.well-known/openid-configuration', root)).status).toBe(404)
    expect((await get('/.well-known/oauth-authorization-server/o', root)).status).toBe(404)
    expect((await get('/.well-known/openid-configuration/elsewhere')).status).toBe(404)
    expect((await get('/elsewhere/.well-known/openid-configuration')).status).toBe(404)
  })
})
