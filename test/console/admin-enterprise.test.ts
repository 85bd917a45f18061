/**
 * Enterprise-managed authorization in the console (ID-JAG, both directions): the trusted
 * identity providers (list, add, change, remove behind a confirmation) and an application's
 * ID-JAG exchange rules (list, add, remove), through the domain's checks with each message under
 * its field, audited, linked from the log; superusers only (403 pages for other staff); the
 * jwt-bearer grant box is a superuser's, as the skip box is.
 */
import { SELF } from 'cloudflare:test'
import { exportJWK, generateKeyPair, type JWK } from 'jose'
import { describe, expect, it } from 'vitest'
import { OPERATOR } from '../../src/accounts/rights.ts'
import { JWT_BEARER_GRANT } from '../../src/db/schema.ts'
import { findApplicationByClientId } from '../../src/oauth/applications.ts'
import { listIdJagPolicies, setIdJagPolicy } from '../../src/oauth/id-jag/policies.ts'
import { findTrustedIdp, trustIdentityProvider } from '../../src/oauth/id-jag/trusted-idps.ts'
import { db, getPage, makeApplication, ORIGIN, unique } from '../helpers.ts'
import { auditOf, consolePost, sessionOf } from './admin-helpers.ts'

async function publicJwk(): Promise<JWK> {
  const { publicKey } = await generateKeyPair('ES256', { extractable: true })
  return { ...(await exportJWK(publicKey)), kid: unique('kid'), alg: 'ES256', use: 'sig' }
}

let issuers = 0
const newIssuer = () => `https://idp${Date.now().toString(36)}${++issuers}.example.org`

describe('console: trusted identity providers', () => {
  it('a superuser adds one (JWK Set), sees it listed, changes it (jwks_uri, claim), removes it behind a confirmation; each audited and linked from the log', async () => {
    const { cookie, user: root } = await sessionOf('superuser')
    const home = await (await getPage('/admin/', cookie)).text()
    expect(home).toContain('href="/admin/identity-providers/"')
    expect((await getPage('/admin/identity-providers/add/', cookie)).status).toBe(200)
    const issuer = newIssuer()
    const jwk = await publicJwk()
    const added = await consolePost('/admin/identity-providers/add/', cookie, {
      issuer,
      jwks: JSON.stringify({ keys: [jwk] }),
      user_claim: 'email',
      match: 'email',
    })
    expect(added.status).toBe(303)
    const provider = await findTrustedIdp(db, issuer)
    expect(provider).toMatchObject({ userClaim: 'email', userField: 'email', jwksUri: null })
    const id = provider?.id ?? 0
    expect(added.headers.get('Location')).toBe(`/admin/identity-providers/${id}/?notice=trusted`)
    const list = await (await getPage('/admin/identity-providers/', cookie)).text()
    expect(list).toContain(`href="/admin/identity-providers/${id}/"`)
    expect(list).toContain('1 registered')
    const detail = await (await getPage(`/admin/identity-providers/${id}/`, cookie)).text()
    expect(detail).toContain(`<code>${jwk.kid}</code>`)

    const changed = await consolePost(`/admin/identity-providers/${id}/`, cookie, {
      // The issuer is the provider's identity: a posted one is ignored.
      issuer: 'https://other.example.org',
      jwks_uri: 'https://idp.example.org/jwks.json',
      user_claim: 'preferred_username',
      match: 'username',
    })
    expect(changed.headers.get('Location')).toBe(`/admin/identity-providers/${id}/?notice=changed`)
    expect(await findTrustedIdp(db, issuer)).toMatchObject({
      id,
      jwks: null,
      jwksUri: 'https://idp.example.org/jwks.json',
      userClaim: 'preferred_username',
      userField: 'username',
    })
    expect(await findTrustedIdp(db, 'https://other.example.org')).toBeUndefined()

    expect((await getPage(`/admin/identity-providers/${id}/remove/`, cookie)).status).toBe(200)
    const removed = await consolePost(`/admin/identity-providers/${id}/remove/`, cookie)
    expect(removed.headers.get('Location')).toBe('/admin/identity-providers/?notice=removed')
    expect(await findTrustedIdp(db, issuer)).toBeUndefined()
    expect((await getPage(`/admin/identity-providers/${id}/`, cookie)).status).toBe(404)

    const entries = await auditOf('identity_provider', id)
    expect(entries.map((entry) => entry.action)).toEqual([
      'identity_provider.remove',
      'identity_provider.change',
      'identity_provider.trust',
    ])
    expect(entries.every((entry) => entry.actorId === root.id)).toBe(true)
    const log = await (await getPage(`/admin/log/?object_type=identity_provider&object_id=${id}`, cookie)).text()
    expect(log).toContain(`href="/admin/identity-providers/${id}/"`)
  })

  it('bad input re-shows the form with the domain’s message under each field and the input kept', async () => {
    const { cookie } = await sessionOf('superuser')
    const existing = newIssuer()
    await trustIdentityProvider(db, OPERATOR, { issuer: existing, keys: { jwksUri: 'https://idp.example.org/k' } })
    const cases: [Record<string, string>, RegExp[]][] = [
      [
        { issuer: '', user_claim: '', match: 'phone' },
        [
          /id="issuer-errors">This field may not be blank\./,
          /id="jwks-errors">Give a JWK Set or a jwks_uri/,
          /id="user_claim-errors">The user claim must be a claim name/,
          /id="match-errors">Select a valid choice\./,
        ],
      ],
      [
        { issuer: 'http://idp.example.org', jwks_uri: 'https://idp.example.org/k', user_claim: 'sub', match: 'email' },
        [/id="issuer-errors">The issuer must be an https URL\./],
      ],
      [
        { issuer: `${ORIGIN}/`, jwks_uri: 'https://idp.example.org/k', user_claim: 'email', match: 'email' },
        [/id="issuer-errors">This server’s own issuer cannot be trusted/],
      ],
      [
        { issuer: existing, jwks_uri: 'https://idp.example.org/k', user_claim: 'email', match: 'email' },
        [/id="issuer-errors">This identity provider is already trusted/],
      ],
      [
        { issuer: newIssuer(), jwks: '{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}', user_claim: 'aud', match: 'email' },
        [
          /id="jwks-errors">jwks.keys\[0\] holds private/,
          /id="user_claim-errors">The aud claim does not name a user\./,
        ],
      ],
      [
        { issuer: newIssuer(), jwks_uri: 'ftp://idp.example.org/k', user_claim: 'email', match: 'email' },
        [/id="jwks_uri-errors">jwks_uri: /],
      ],
    ]
    for (const [values, messages] of cases) {
      const response = await consolePost('/admin/identity-providers/add/', cookie, values)
      expect(response.status, JSON.stringify(values)).toBe(400)
      const page = await response.text()
      for (const message of messages) expect(page, JSON.stringify(values)).toMatch(message)
      if (values.issuer) expect(page).toContain(`value="${values.issuer}"`)
    }
    const before = await findTrustedIdp(db, existing)
    const change = await consolePost(`/admin/identity-providers/${before?.id}/`, cookie, {
      jwks: 'not json',
      user_claim: 'email',
      match: 'email',
    })
    expect(change.status).toBe(400)
    expect(await change.text()).toMatch(/id="jwks-errors">Enter a JWK Set as JSON/)
    expect(await findTrustedIdp(db, existing)).toEqual(before)
  })

  it('staff who are not superusers get 403 pages and change nothing; missing providers are 404', async () => {
    const { cookie } = await sessionOf('staff')
    const issuer = newIssuer()
    const { provider } = await trustIdentityProvider(db, OPERATOR, {
      issuer,
      keys: { jwksUri: 'https://idp.example.org/k' },
    })
    expect(await (await getPage('/admin/', cookie)).text()).not.toContain('/admin/identity-providers/')
    const path = `/admin/identity-providers/${provider.id}/`
    for (const page of ['/admin/identity-providers/', '/admin/identity-providers/add/', path, `${path}remove/`]) {
      const response = await getPage(page, cookie)
      expect(response.status, page).toBe(403)
      expect(await response.text()).toContain('Only superusers may manage trusted identity providers')
    }
    for (const page of ['/admin/identity-providers/add/', path, `${path}remove/`]) {
      const values = {
        issuer: newIssuer(),
        jwks_uri: 'https://evil.example.org/k',
        user_claim: 'email',
        match: 'email',
      }
      expect((await consolePost(page, cookie, values)).status, page).toBe(403)
    }
    expect(await findTrustedIdp(db, issuer)).toEqual(provider)
    const { cookie: root } = await sessionOf('superuser')
    for (const page of ['/admin/identity-providers/999999/', '/admin/identity-providers/999999/remove/']) {
      expect((await getPage(page, root)).status, page).toBe(404)
      expect((await consolePost(page, root)).status, page).toBe(404)
    }
  })
})

describe('console: ID-JAG exchange rules of an application', () => {
  const RULE = {
    audience: 'https://as.example.com',
    resource: 'https://mcp.example.com/mcp',
    audience_client_id: 'client-there',
    scope: 'read write',
  }

  it('a superuser lists, adds and removes them (behind a confirmation); audited; the log links a rule to its application', async () => {
    const { cookie } = await sessionOf('superuser')
    const app = await makeApplication({ name: unique('Exchanger ') })
    const before = await (await getPage(`/admin/applications/${app.id}/`, cookie)).text()
    expect(before).toContain('ID-JAG exchange rules')
    expect(before).toContain(`href="/admin/applications/${app.id}/id-jag-rules/add/"`)
    expect((await getPage(`/admin/applications/${app.id}/id-jag-rules/add/`, cookie)).status).toBe(200)
    const added = await consolePost(`/admin/applications/${app.id}/id-jag-rules/add/`, cookie, RULE)
    expect(added.headers.get('Location')).toBe(`/admin/applications/${app.id}/?notice=rule_set`)
    const [rule] = await listIdJagPolicies(db, app.id)
    expect(rule).toMatchObject({
      audience: RULE.audience,
      resource: RULE.resource,
      audienceClientId: 'client-there',
      scope: 'read write',
    })
    const page = await (await getPage(`/admin/applications/${app.id}/`, cookie)).text()
    expect(page).toContain(`<code>${RULE.resource}</code>`)
    expect(page).toContain(`href="/admin/applications/${app.id}/id-jag-rules/${rule.id}/remove/"`)
    // Defaults: the client's own client_id there, the scope it asks for.
    await consolePost(`/admin/applications/${app.id}/id-jag-rules/add/`, cookie, {
      audience: RULE.audience,
      resource: 'https://other.example.com/api',
    })
    const rules = await listIdJagPolicies(db, app.id)
    expect(rules.find((row) => row.resource === 'https://other.example.com/api')).toMatchObject({
      audienceClientId: app.clientId,
      scope: null,
    })

    const link = await getPage(`/admin/id-jag-rules/${rule.id}/`, cookie)
    expect(link.status).toBe(302)
    expect(link.headers.get('Location')).toBe(`/admin/applications/${app.id}/#rule-${rule.id}`)
    const log = await (await getPage(`/admin/log/?object_type=id_jag_policy&object_id=${rule.id}`, cookie)).text()
    expect(log).toContain(`href="/admin/id-jag-rules/${rule.id}/"`)

    const confirm = await getPage(`/admin/applications/${app.id}/id-jag-rules/${rule.id}/remove/`, cookie)
    expect(confirm.status).toBe(200)
    const removed = await consolePost(`/admin/applications/${app.id}/id-jag-rules/${rule.id}/remove/`, cookie)
    expect(removed.headers.get('Location')).toBe(`/admin/applications/${app.id}/?notice=rule_removed`)
    expect((await listIdJagPolicies(db, app.id)).map((row) => row.id)).not.toContain(rule.id)
    expect((await auditOf('id_jag_policy', rule.id)).map((entry) => entry.action)).toEqual([
      'id_jag_policy.remove',
      'id_jag_policy.set',
    ])
    expect((await getPage(`/admin/id-jag-rules/${rule.id}/`, cookie)).status).toBe(404)
  })

  it('bad input re-shows the form with checkPolicy’s message under its field; a public client is 400', async () => {
    const { cookie } = await sessionOf('superuser')
    const app = await makeApplication()
    const cases: [Record<string, string>, RegExp][] = [
      [{ audience: '', resource: '' }, /id="audience-errors">This field may not be blank\./],
      [
        { ...RULE, audience: 'http://as.example.com' },
        /id="audience-errors">The audience \(an authorization server’s issuer\)/,
      ],
      [
        { ...RULE, resource: 'https://mcp.example.com/#x' },
        /id="resource-errors">The resource must be an absolute URI/,
      ],
      [{ ...RULE, audience_client_id: 'é'.repeat(3) }, /id="audience_client_id-errors">The client_id at the audience/],
      [{ ...RULE, scope: 'read "write"' }, /id="scope-errors">The scope must be scope tokens/],
    ]
    for (const [values, message] of cases) {
      const response = await consolePost(`/admin/applications/${app.id}/id-jag-rules/add/`, cookie, values)
      expect(response.status, JSON.stringify(values)).toBe(400)
      const page = await response.text()
      expect(page, JSON.stringify(values)).toMatch(message)
      if (values.resource) expect(page).toContain(`value="${values.resource}"`)
    }
    expect(await listIdJagPolicies(db, app.id)).toEqual([])
    const publicApp = await makeApplication({
      clientType: 'public',
      grantTypes: ['authorization-code'],
      redirectUris: ['https://a.example/cb'],
    })
    expect(await (await getPage(`/admin/applications/${publicApp.id}/`, cookie)).text()).toContain(
      'Only confidential clients may exchange id_tokens for ID-JAGs.',
    )
    for (const response of [
      await getPage(`/admin/applications/${publicApp.id}/id-jag-rules/add/`, cookie),
      await consolePost(`/admin/applications/${publicApp.id}/id-jag-rules/add/`, cookie, RULE),
    ]) {
      expect(response.status).toBe(400)
      expect(response.headers.get('Content-Type')).toContain('text/html')
    }
  })

  it('staff who are not superusers see no rules and get 403 pages; a rule of another application is 404', async () => {
    const { cookie } = await sessionOf('staff')
    const app = await makeApplication()
    const other = await makeApplication()
    const rule = await setIdJagPolicy(db, OPERATOR, app, {
      audience: RULE.audience,
      resource: RULE.resource,
      audienceClientId: 'x',
      scope: null,
    })
    const page = await (await getPage(`/admin/applications/${app.id}/`, cookie)).text()
    expect(page).not.toContain('ID-JAG exchange rules')
    for (const path of [
      `/admin/applications/${app.id}/id-jag-rules/add/`,
      `/admin/applications/${app.id}/id-jag-rules/${rule.id}/remove/`,
      `/admin/id-jag-rules/${rule.id}/`,
    ]) {
      expect((await getPage(path, cookie)).status, path).toBe(403)
      if (!path.startsWith('/admin/id-jag-rules/'))
        expect((await consolePost(path, cookie, RULE)).status, path).toBe(403)
    }
    expect(await listIdJagPolicies(db, app.id)).toHaveLength(1)
    const { cookie: root } = await sessionOf('superuser')
    for (const path of [
      `/admin/applications/${other.id}/id-jag-rules/${rule.id}/remove/`,
      '/admin/applications/999999/id-jag-rules/add/',
      '/admin/id-jag-rules/999999/',
    ]) {
      expect((await getPage(path, root)).status, path).toBe(404)
    }
    expect((await consolePost(`/admin/applications/${other.id}/id-jag-rules/${rule.id}/remove/`, root)).status).toBe(
      404,
    )
    expect(await listIdJagPolicies(db, app.id)).toHaveLength(1)
  })
})

describe('console: the jwt-bearer grant box is a superuser’s', () => {
  it('hidden from staff; saving their form keeps the grant as it was; a forged tick is refused; a superuser sets it', async () => {
    const { cookie: staff } = await sessionOf('staff')
    const { cookie: root } = await sessionOf('superuser')
    const fields = {
      client_type: 'confidential',
      authorization_grant_type: ['client-credentials'],
      redirect_uris: '',
    }
    expect(await (await getPage('/admin/applications/add/', staff)).text()).not.toContain(`value="${JWT_BEARER_GRANT}"`)
    expect(await (await getPage('/admin/applications/add/', root)).text()).toContain(`value="${JWT_BEARER_GRANT}"`)
    const forged = await consolePost('/admin/applications/add/', staff, {
      ...fields,
      name: unique('Forged '),
      authorization_grant_type: ['client-credentials', JWT_BEARER_GRANT],
    })
    expect(forged.status).toBe(403)
    expect(await forged.text()).toContain('Only superusers may allow the jwt-bearer grant')

    const app = await makeApplication({ grantTypes: ['client-credentials', JWT_BEARER_GRANT] })
    const edit = await (await getPage(`/admin/applications/${app.id}/change/`, staff)).text()
    expect(edit).not.toContain(`value="${JWT_BEARER_GRANT}"`)
    expect(edit).toContain('superusers decide it')
    expect(
      (await consolePost(`/admin/applications/${app.id}/change/`, staff, { ...fields, name: 'Kept' })).status,
    ).toBe(303)
    expect((await findApplicationByClientId(db, app.clientId))?.grantTypes).toEqual([
      'client-credentials',
      JWT_BEARER_GRANT,
    ])
    expect(
      (await consolePost(`/admin/applications/${app.id}/change/`, root, { ...fields, name: 'Dropped' })).status,
    ).toBe(303)
    expect((await findApplicationByClientId(db, app.clientId))?.grantTypes).toEqual(['client-credentials'])
  })
})

describe('console: the new pages’ doors', () => {
  it('logged out: a login redirect; cross-origin POSTs: 403 and nothing changes; a bad form body: 400', async () => {
    const { cookie } = await sessionOf('superuser')
    const app = await makeApplication()
    const { provider } = await trustIdentityProvider(db, OPERATOR, {
      issuer: newIssuer(),
      keys: { jwksUri: 'https://idp.example.org/k' },
    })
    const rule = await setIdJagPolicy(db, OPERATOR, app, {
      audience: 'https://as.example.com',
      resource: 'https://mcp.example.com/mcp',
      audienceClientId: 'x',
      scope: null,
    })
    const posts = [
      `/admin/applications/${app.id}/keys/`,
      `/admin/applications/${app.id}/keys/remove/`,
      `/admin/applications/${app.id}/id-jag-rules/add/`,
      `/admin/applications/${app.id}/id-jag-rules/${rule.id}/remove/`,
      '/admin/identity-providers/add/',
      `/admin/identity-providers/${provider.id}/`,
      `/admin/identity-providers/${provider.id}/remove/`,
    ]
    for (const path of [...posts, '/admin/identity-providers/', `/admin/id-jag-rules/${rule.id}/`]) {
      const response = await getPage(path)
      expect(response.status, path).toBe(302)
      expect(response.headers.get('Location'), path).toMatch(/^\/accounts\/login\/\?next=/)
    }
    const values = { jwks_uri: 'https://evil.example.org/k', issuer: newIssuer(), user_claim: 'email', match: 'email' }
    for (const path of posts) {
      const response = await SELF.fetch(`${ORIGIN}${path}`, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          Cookie: cookie,
          Origin: 'https://evil.example',
          'Content-Type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ ...values, ...RULE_VALUES }).toString(),
      })
      expect(response.status, path).toBe(403)
    }
    expect(await findTrustedIdp(db, provider.issuer)).toEqual(provider)
    expect(await listIdJagPolicies(db, app.id)).toHaveLength(1)
    expect(await findApplicationByClientId(db, app.clientId)).toMatchObject({ jwksUri: null })
    for (const path of [
      `/admin/applications/${app.id}/keys/`,
      `/admin/applications/${app.id}/id-jag-rules/add/`,
      '/admin/identity-providers/add/',
      `/admin/identity-providers/${provider.id}/`,
    ]) {
      const response = await SELF.fetch(`${ORIGIN}${path}`, {
        method: 'POST',
        redirect: 'manual',
        headers: { Cookie: cookie, Origin: ORIGIN, 'Content-Type': 'multipart/form-data; boundary=x' },
        body: 'not multipart',
      })
      expect(response.status, path).toBe(400)
      expect(await response.text(), path).toContain('The form could not be read.')
    }
  })
})

const RULE_VALUES = { audience: 'https://evil.example.com', resource: 'https://evil.example.com/mcp' }
