/**
 * `manage trustedidp` and `manage idjagpolicy`: the operator's two lists of enterprise-managed
 * authorization, checked as strictly as the grants read them, each change audited as `manage`'s.
 * What a command sets is what the token endpoint then does (test/cli.ts runs them on the test D1).
 */
import { env } from 'cloudflare:test'
import { exportJWK, generateKeyPair, SignJWT } from 'jose'
import { describe, expect, it } from 'vitest'
import { createapplication } from '../../src/cli/commands/createapplication.ts'
import { idjagpolicy, trustedidp } from '../../src/cli/commands/enterprise.ts'
import { JWT_BEARER_GRANT } from '../../src/db/schema.ts'
import { manage } from '../cli.ts'
import {
  authorizationCode,
  basic,
  expectOAuthError,
  form,
  makeApplication,
  makeUser,
  ORIGIN,
  postToken,
  unique,
} from '../helpers.ts'

const MCP = `${ORIGIN}/mcp`

async function idpKey() {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true })
  const kid = unique('kid')
  return { kid, privateKey, jwks: JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid }] }) }
}

const issuer = () => `https://${unique('idp')}.example.org`

async function auditActions(objectType: string, repr: string) {
  const { results } = await env.DB.prepare(
    'SELECT action, actor_id, actor_username FROM audit_log WHERE object_type = ? AND object_repr = ? ORDER BY id',
  )
    .bind(objectType, repr)
    .all<{ action: string; actor_id: number | null; actor_username: string }>()
  return results
}

describe('manage trustedidp: the identity providers whose ID-JAGs are accepted', () => {
  it('add (with a JWK Set), list, change (a jwks_uri), remove: the grant follows, every change audited', async () => {
    const key = await idpKey()
    const idp = issuer()
    expect(await manage(trustedidp, 'add', idp, '--jwks', key.jwks)).toContain(`Identity provider ${idp} trusted`)
    expect(await manage(trustedidp, 'list')).toContain(`${idp}\t1 key(s) registered\temail → email`)

    // The grant accepts its ID-JAGs.
    const client = await makeApplication({ grantTypes: [JWT_BEARER_GRANT] })
    const username = unique('emp')
    const user = await makeUser()
    await env.DB.prepare('UPDATE users SET email = ? WHERE id = ?').bind(`${username}@corp.example`, user.id).run()
    const present = async () =>
      postToken(
        form({
          grant_type: JWT_BEARER_GRANT,
          assertion: await new SignJWT({ client_id: client.clientId, resource: MCP, email: `${username}@corp.example` })
            .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'oauth-id-jag+jwt' })
            .setIssuer(idp)
            .setSubject('u1')
            .setAudience(ORIGIN)
            .setJti(crypto.randomUUID())
            .setIssuedAt()
            .setExpirationTime('5m')
            .sign(key.privateKey),
        }),
        { Authorization: basic(client.clientId, client.clientSecret ?? '') },
      )
    expect((await present()).status).toBe(200)

    const changed = await manage(
      trustedidp,
      'add',
      idp,
      '--jwks-uri',
      `${idp}/jwks.json`,
      '--user-claim',
      'upn',
      '--match',
      'username',
    )
    expect(changed).toContain('changed')
    expect(await manage(trustedidp, 'list')).toContain(`${idp}\t${idp}/jwks.json\tupn → username`)
    expect(await manage(trustedidp, 'remove', idp)).toContain('no longer trusted')
    await expectOAuthError(await present(), 400, 'invalid_grant')
    expect(await auditActions('identity_provider', idp)).toEqual(
      ['identity_provider.trust', 'identity_provider.change', 'identity_provider.remove'].map((action) => ({
        action,
        actor_id: null,
        actor_username: 'manage',
      })),
    )
  })

  it.each<[string, string[], RegExp]>([
    [
      'this server’s own issuer (draft §8.3)',
      ['add', ORIGIN, '--jwks-uri', 'https://keys.example.org/jwks.json'],
      /own issuer/,
    ],
    ['an http issuer', ['add', 'http://idp.example', '--jwks-uri', 'https://keys.example.org/jwks.json'], /https/],
    [
      'an issuer with a query',
      ['add', 'https://idp.example/?tenant=1', '--jwks-uri', 'https://keys.example.org/jwks.json'],
      /query/,
    ],
    ['no keys', ['add', 'https://idp.example'], /jwks/],
    [
      'both --jwks and --jwks-uri',
      ['add', 'https://idp.example', '--jwks', '{"keys":[]}', '--jwks-uri', 'https://keys.example.org/jwks.json'],
      /jwks/,
    ],
    ['--jwks that is not JSON', ['add', 'https://idp.example', '--jwks', '{keys'], /not JSON/],
    ['an empty key set', ['add', 'https://idp.example', '--jwks', '{"keys":[]}'], /jwks.keys/],
    [
      'a jwks_uri on a private address',
      ['add', 'https://idp.example', '--jwks-uri', 'https://10.0.0.1/jwks'],
      /jwks_uri/,
    ],
    [
      'a claim that names no user',
      ['add', 'https://idp.example', '--jwks-uri', 'https://keys.example.org/jwks.json', '--user-claim', 'aud'],
      /aud claim/,
    ],
    [
      '--match something else',
      ['add', 'https://idp.example', '--jwks-uri', 'https://keys.example.org/jwks.json', '--match', 'id'],
      /--match/,
    ],
    ['remove of an issuer not trusted', ['remove', 'https://nobody.example'], /not a trusted/],
    ['no action', [], /Usage/],
  ])('refuses %s, changing nothing', async (_name, args, message) => {
    const before = await manage(trustedidp, 'list')
    await expect(manage(trustedidp, ...args)).rejects.toThrow(message)
    expect(await manage(trustedidp, 'list')).toBe(before)
  })

  it('refuses a key set holding a private key', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true })
    const jwks = JSON.stringify({ keys: [await exportJWK(privateKey)] })
    await expect(manage(trustedidp, 'add', issuer(), '--jwks', jwks)).rejects.toThrow(/private/)
  })
})

describe('manage idjagpolicy: which clients get ID-JAGs, for which audience and resource', () => {
  const AUDIENCE = 'https://auth.chat.example'
  const RESOURCE = 'https://mcp.chat.example/mcp'

  it('add, list, remove: the token exchange follows, every change audited', async () => {
    const { app, params } = await authorizationCode({ scopes: ['openid'] })
    const { id_token: idToken } = await (await postToken(form(params))).json<{ id_token: string }>()
    const added = await manage(
      idjagpolicy,
      ...['add', app.clientId, '--audience', AUDIENCE, '--resource', `${RESOURCE}/`],
      ...['--client-id-there', 'wiki-at-chat', '--scope', 'chat.read chat.read'],
    )
    const id = /^Rule (\d+):/.exec(added)?.[1] ?? ''
    expect(added).toContain(`resource:  ${RESOURCE}`)
    expect(added).toContain('scope:     chat.read')
    expect(await manage(idjagpolicy, 'list', app.clientId)).toBe(
      [id, app.clientId, AUDIENCE, RESOURCE, 'wiki-at-chat', 'chat.read'].join('\t'),
    )
    const exchange = () =>
      postToken(
        form({
          grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
          requested_token_type: 'urn:ietf:params:oauth:token-type:id-jag',
          subject_token_type: 'urn:ietf:params:oauth:token-type:id_token',
          subject_token: idToken,
          audience: AUDIENCE,
          resource: RESOURCE,
        }),
        { Authorization: basic(app.clientId, app.clientSecret ?? '') },
      )
    expect((await exchange()).status).toBe(200)
    expect(await manage(idjagpolicy, 'remove', id)).toBe(`Rule ${id} removed.`)
    await expectOAuthError(await exchange(), 400, 'invalid_target')
    expect(await manage(idjagpolicy, 'list', app.clientId)).toBe('No ID-JAG exchange rules.')
    const audit = await auditActions('id_jag_policy', `${app.clientId} → ${AUDIENCE}`)
    expect(audit.map((row) => [row.action, row.actor_username])).toEqual([
      ['id_jag_policy.set', 'manage'],
      ['id_jag_policy.remove', 'manage'],
    ])
  })

  it.each<[string, (clientId: string) => string[], RegExp]>([
    ['an unknown client', () => ['add', 'nobody', '--audience', AUDIENCE, '--resource', RESOURCE], /no application/],
    ['no --resource', (id) => ['add', id, '--audience', AUDIENCE], /required/],
    [
      'an audience that is not an https URL',
      (id) => ['add', id, '--audience', 'chat', '--resource', RESOURCE],
      /audience/,
    ],
    [
      'a resource with a fragment',
      (id) => ['add', id, '--audience', AUDIENCE, '--resource', `${RESOURCE}#x`],
      /resource/,
    ],
    [
      'a scope with a quote',
      (id) => ['add', id, '--audience', AUDIENCE, '--resource', RESOURCE, '--scope', 'a"b'],
      /scope/,
    ],
    ['remove of a rule that does not exist', () => ['remove', '999999999'], /no ID-JAG exchange rule/],
  ])('refuses %s', async (_name, args, message) => {
    const app = await makeApplication({ grantTypes: ['authorization-code'] })
    await expect(manage(idjagpolicy, ...args(app.clientId))).rejects.toThrow(message)
    expect(await manage(idjagpolicy, 'list', app.clientId)).toBe('No ID-JAG exchange rules.')
  })

  it('refuses a public client (the draft’s §8.1: confidential clients only)', async () => {
    const app = await makeApplication({ clientType: 'public', grantTypes: ['authorization-code'] })
    const args = ['add', app.clientId, '--audience', AUDIENCE, '--resource', RESOURCE]
    await expect(manage(idjagpolicy, ...args)).rejects.toThrow(/confidential/)
  })
})

describe('createapplication --grant-type urn:ietf:params:oauth:grant-type:jwt-bearer', () => {
  it('the operator (a superuser’s rights) may allow it', async () => {
    const output = await manage(
      createapplication,
      ...['--name', unique('enterprise'), '--client-type', 'confidential', '--grant-type', JWT_BEARER_GRANT],
    )
    expect(output).toContain('client_id')
  })
})
