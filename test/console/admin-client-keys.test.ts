/**
 * The console's part of "clients get keys" (private_key_jwt, RFC 7523 §2.2; PAR, RFC 9126 §6):
 * an application's page shows how it authenticates, its keys (kid, key type, algorithm, or its
 * jwks_uri) and require_pushed_authorization_requests; keys are set, replaced and removed through
 * the domain's checks (errors under their field, input kept), audited; a client that holds only a
 * key has no secret to rotate and keeps its keys; the list has an auth-method column. A client
 * assertion signed by the keys set here authenticates at the token endpoint.
 */
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose'
import { describe, expect, it } from 'vitest'
import { findApplicationByClientId } from '../../src/oauth/applications.ts'
import { db, form, getPage, login, makeApplication, makeUser, ORIGIN, postToken, unique } from '../helpers.ts'
import { auditOf, consolePost, sessionOf } from './admin-helpers.ts'

type Key = { kid: string; privateKey: CryptoKey; jwk: JWK }

async function signingKey(): Promise<Key> {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true })
  const kid = unique('kid')
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' } }
}

const jwksText = (...keys: Key[]) => JSON.stringify({ keys: keys.map((key) => key.jwk) })

/** client_credentials with a client assertion signed by `key` (RFC 7523 §2.2). */
async function assertionGrant(clientId: string, key: Key) {
  const now = Math.floor(Date.now() / 1000)
  const assertion = await new SignJWT({ jti: crypto.randomUUID() })
    .setProtectedHeader({ alg: 'ES256', kid: key.kid })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(ORIGIN)
    .setIssuedAt(now)
    .setExpirationTime(now + 60)
    .sign(key.privateKey)
  return postToken(
    form({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
    }),
  )
}

describe('console: client keys', () => {
  it('sets keys (listed by kid and type, never their numbers); the client then authenticates with one; audited', async () => {
    const { cookie, user: staff } = await sessionOf('staff')
    const app = await makeApplication({ grantTypes: ['client-credentials'] })
    const key = await signingKey()
    expect((await assertionGrant(app.clientId, key)).status).toBe(401)
    const before = await (await getPage(`/admin/applications/${app.id}/`, cookie)).text()
    expect(before).toContain('Its client secret')
    expect(before).toContain(`href="/admin/applications/${app.id}/keys/"`)
    expect((await getPage(`/admin/applications/${app.id}/keys/`, cookie)).status).toBe(200)
    const saved = await consolePost(`/admin/applications/${app.id}/keys/`, cookie, { jwks: jwksText(key) })
    expect(saved.status).toBe(303)
    expect(saved.headers.get('Location')).toBe(`/admin/applications/${app.id}/?notice=keys_set`)
    const page = await (await getPage(`/admin/applications/${app.id}/?notice=keys_set`, cookie)).text()
    expect(page).toContain('The client’s keys were saved.')
    expect(page).toContain(`<code>${key.kid}</code>`)
    expect(page).toContain('EC P-256')
    expect(page).not.toContain(String(key.jwk.x))
    expect(page).toContain('Its client secret, or its key (private_key_jwt)')
    expect((await assertionGrant(app.clientId, key)).status).toBe(200)
    const [entry] = await auditOf('application', app.id)
    expect(entry).toMatchObject({ action: 'application.keys', actorId: staff.id })
    expect(entry.message).toContain(`Set the client’s keys ${key.kid}`)
  })

  it('replaces keys by a jwks_uri (the old key stops working) and removes them behind a confirmation', async () => {
    const { cookie } = await sessionOf('superuser')
    const key = await signingKey()
    const app = await makeApplication({ grantTypes: ['client-credentials'], jwks: JSON.parse(jwksText(key)) })
    const uri = 'https://keys.example.com/jwks.json'
    expect((await consolePost(`/admin/applications/${app.id}/keys/`, cookie, { jwks_uri: uri })).status).toBe(303)
    expect(await findApplicationByClientId(db, app.clientId)).toMatchObject({ jwks: null, jwksUri: uri })
    expect(await (await getPage(`/admin/applications/${app.id}/`, cookie)).text()).toContain(`<code>${uri}</code>`)
    expect((await auditOf('application', app.id))[0].message).toContain(`Replaced the client’s keys at ${uri}`)
    const confirm = await getPage(`/admin/applications/${app.id}/keys/remove/`, cookie)
    expect(confirm.status).toBe(200)
    expect(await confirm.text()).toContain('its client secret still works')
    expect((await consolePost(`/admin/applications/${app.id}/keys/remove/`, cookie)).headers.get('Location')).toBe(
      `/admin/applications/${app.id}/?notice=keys_removed`,
    )
    expect(await findApplicationByClientId(db, app.clientId)).toMatchObject({ jwks: null, jwksUri: null })
    expect((await auditOf('application', app.id))[0].message).toBe('Removed the client’s keys (private_key_jwt).')
    // Nothing left to remove: no such page.
    expect((await getPage(`/admin/applications/${app.id}/keys/remove/`, cookie)).status).toBe(404)
  })

  it('bad keys re-show the form with the message under its field and the input kept; nothing changes', async () => {
    const { cookie } = await sessionOf('staff')
    const app = await makeApplication()
    const key = await signingKey()
    const cases: [Record<string, string>, RegExp][] = [
      [{}, /id="jwks-errors">Give a JWK Set or a jwks_uri/],
      [{ jwks: jwksText(key), jwks_uri: 'https://keys.example.com/jwks.json' }, /id="jwks_uri-errors">Give a JWK Set/],
      [{ jwks: '{"keys": [' }, /id="jwks-errors">Enter a JWK Set as JSON/],
      [
        { jwks: JSON.stringify({ keys: [{ ...key.jwk, d: 'c2VjcmV0' }] }) },
        /id="jwks-errors">jwks.keys\[0\] holds private/,
      ],
      [
        { jwks: JSON.stringify({ keys: [{ kty: 'oct', k: 'c2VjcmV0' }] }) },
        /id="jwks-errors">jwks.keys\[0\] holds private/,
      ],
      [{ jwks_uri: 'http://keys.example.com/jwks.json' }, /id="jwks_uri-errors">jwks_uri: /],
      [{ jwks_uri: `${ORIGIN}/o/.well-known/jwks.json` }, /id="jwks_uri-errors">jwks_uri may not be on this server/],
    ]
    for (const [values, message] of cases) {
      const response = await consolePost(`/admin/applications/${app.id}/keys/`, cookie, values)
      expect(response.status, JSON.stringify(values)).toBe(400)
      const page = await response.text()
      expect(page, JSON.stringify(values)).toMatch(message)
      expect(page).toContain('Please correct the errors below.')
      if (values.jwks_uri) expect(page).toContain(`value="${values.jwks_uri}"`)
    }
    expect(await findApplicationByClientId(db, app.clientId)).toMatchObject({ jwks: null, jwksUri: null })
    expect(await auditOf('application', app.id)).toEqual([])
  })

  it('a key-only client: “authenticates with its key, no secret”; no secret to rotate (rotate the key); removing its keys warns it is left with none', async () => {
    const { cookie } = await sessionOf('staff')
    const key = await signingKey()
    const app = await makeApplication({
      grantTypes: ['client-credentials'],
      clientSecret: null,
      jwks: JSON.parse(jwksText(key)),
    })
    const page = await (await getPage(`/admin/applications/${app.id}/`, cookie)).text()
    expect(page).toContain('Authenticates with its key, no secret (private_key_jwt)')
    expect(page).not.toContain('/rotate-secret/')
    expect(page).toContain('Replace keys')
    for (const response of [
      await getPage(`/admin/applications/${app.id}/rotate-secret/`, cookie),
      await consolePost(`/admin/applications/${app.id}/rotate-secret/`, cookie),
    ]) {
      expect(response.status).toBe(400)
      expect(await response.text()).toContain('rotate its keys instead')
    }
    expect(await findApplicationByClientId(db, app.clientId)).toMatchObject({ clientSecretHash: '' })
    // Rotating is replacing the key: the new one works, the old one no longer.
    const next = await signingKey()
    expect((await consolePost(`/admin/applications/${app.id}/keys/`, cookie, { jwks: jwksText(next) })).status).toBe(
      303,
    )
    expect((await assertionGrant(app.clientId, next)).status).toBe(200)
    expect((await assertionGrant(app.clientId, key)).status).toBe(401)
    const confirm = await getPage(`/admin/applications/${app.id}/keys/remove/`, cookie)
    expect(await confirm.text()).toContain('without its keys it cannot authenticate at all')
    expect((await consolePost(`/admin/applications/${app.id}/keys/remove/`, cookie)).status).toBe(303)
    expect((await assertionGrant(app.clientId, next)).status).toBe(401)
    const after = await (await getPage(`/admin/applications/${app.id}/`, cookie)).text()
    expect(after).toContain('Nothing yet: no secret and no keys')
    // Now a secret is what it can be given.
    expect(after).toContain(`/admin/applications/${app.id}/rotate-secret/`)
    expect((await auditOf('application', app.id)).map((entry) => entry.action)).toEqual([
      'application.keys',
      'application.keys',
    ])
  })

  it('a public client has no keys (400); a missing application is 404', async () => {
    const { cookie } = await sessionOf('staff')
    const app = await makeApplication({
      clientType: 'public',
      grantTypes: ['authorization-code'],
      redirectUris: ['https://a.example/cb'],
    })
    const page = await (await getPage(`/admin/applications/${app.id}/`, cookie)).text()
    expect(page).not.toContain('/keys/')
    expect(page).toContain('None: a public client')
    for (const response of [
      await getPage(`/admin/applications/${app.id}/keys/`, cookie),
      await consolePost(`/admin/applications/${app.id}/keys/`, cookie, { jwks_uri: 'https://keys.example.com/j' }),
    ]) {
      expect(response.status).toBe(400)
      expect(response.headers.get('Content-Type')).toContain('text/html')
      expect(await response.text()).toContain('keys are for confidential clients')
    }
    for (const path of ['/admin/applications/999999/keys/', '/admin/applications/999999/keys/remove/']) {
      expect((await getPage(path, cookie)).status, path).toBe(404)
      expect((await consolePost(path, cookie, { jwks_uri: 'https://keys.example.com/j' })).status, path).toBe(404)
    }
  })

  it('staff may not change the keys of what a superuser owns (403), nor of a can_introspect application not theirs', async () => {
    const { cookie } = await sessionOf('staff')
    const { user: superuser } = await sessionOf('superuser')
    const owned = await makeApplication({ userId: superuser.id })
    const resourceServer = await makeApplication({ canIntrospect: true, userId: (await makeUser()).id })
    for (const app of [owned, resourceServer]) {
      expect((await getPage(`/admin/applications/${app.id}/keys/`, cookie)).status).toBe(403)
      const post = await consolePost(`/admin/applications/${app.id}/keys/`, cookie, {
        jwks_uri: 'https://keys.example.com/jwks.json',
      })
      expect(post.status).toBe(403)
      expect(await findApplicationByClientId(db, app.clientId)).toMatchObject({ jwksUri: null })
    }
  })

  it('require_pushed_authorization_requests: shown, set on the change form, audited, enforced at /o/authorize/', async () => {
    const { cookie } = await sessionOf('staff')
    const app = await makeApplication({ grantTypes: ['authorization-code'], redirectUris: ['https://a.example/cb'] })
    const fields = {
      name: app.name,
      client_type: 'confidential',
      authorization_grant_type: 'authorization-code',
      redirect_uris: 'https://a.example/cb',
    }
    expect(await (await getPage(`/admin/applications/${app.id}/`, cookie)).text()).toContain('not required')
    expect(await (await getPage(`/admin/applications/${app.id}/change/`, cookie)).text()).toContain(
      'name="require_pushed_authorization_requests"',
    )
    const changed = await consolePost(`/admin/applications/${app.id}/change/`, cookie, {
      ...fields,
      require_pushed_authorization_requests: 'on',
    })
    expect(changed.status).toBe(303)
    expect((await findApplicationByClientId(db, app.clientId))?.requirePushedAuthorizationRequests).toBe(true)
    expect((await auditOf('application', app.id))[0].message).toContain('require_pushed_authorization_requests → true')
    expect(await (await getPage(`/admin/applications/${app.id}/`, cookie)).text()).toContain(
      'required: its authorization requests must come through /o/par/',
    )
    const direct = await getPage(
      `/o/authorize/?${new URLSearchParams({ response_type: 'code', client_id: app.clientId, redirect_uri: 'https://a.example/cb', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' })}`,
      await login(await makeUser()),
    )
    const refused = new URL(direct.headers.get('Location') ?? '', ORIGIN)
    expect(refused.searchParams.get('error')).toBe('invalid_request')
    expect(refused.searchParams.get('error_description')).toContain('pushed')
    // Unticked: no longer required.
    expect((await consolePost(`/admin/applications/${app.id}/change/`, cookie, fields)).status).toBe(303)
    expect((await findApplicationByClientId(db, app.clientId))?.requirePushedAuthorizationRequests).toBe(false)
  })

  it('the list has an auth-method column', async () => {
    const { cookie } = await sessionOf('staff')
    const name = unique('Keyed ')
    const key = await signingKey()
    await makeApplication({
      name,
      clientSecret: null,
      jwks: JSON.parse(jwksText(key)),
      grantTypes: ['client-credentials'],
    })
    const page = await (await getPage(`/admin/applications/?q=${encodeURIComponent(name)}`, cookie)).text()
    expect(page).toContain('<th scope="col">Auth method</th>')
    expect(page).toContain('<td data-label="Auth method">private_key_jwt</td>')
  })
})
