import { SELF } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { applicationFromOptions } from '../../src/cli/commands/createapplication.ts'
import {
  basic,
  expectOAuthError,
  form,
  getPage,
  login,
  makeApplication,
  makeUser,
  ORIGIN,
  passwordToken,
  pkcePair,
  postToken,
  REDIRECT_URI,
  storeToken,
} from '../helpers.ts'

/** Only clients designated as resource servers (can_introspect) introspect others' tokens. */
function introspect(token: string, headers: Record<string, string>) {
  return SELF.fetch(`${ORIGIN}/o/introspect/`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: form({ token }),
  })
}

const clientAuth = (app: { clientId: string; clientSecret: string | null }) => ({
  Authorization: basic(app.clientId, app.clientSecret ?? ''),
})

describe('RFC 7662 §2.1/§4: who may introspect what', () => {
  it("a confidential client that is not a resource server gets {active:false} for another client's token", async () => {
    const a = await passwordToken('read')
    const b = await makeApplication({ grantTypes: ['client-credentials'] })
    const response = await introspect(a.token, clientAuth(b))
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ active: false })
  })

  it('a client may introspect its own tokens', async () => {
    const a = await passwordToken('read')
    const body = await (await introspect(a.token, clientAuth(a.app))).json<{ active: boolean; client_id: string }>()
    expect(body).toMatchObject({ active: true, client_id: a.app.clientId })
  })

  it('a designated resource server may introspect any token', async () => {
    const a = await passwordToken('read')
    const server = await makeApplication({ grantTypes: ['client-credentials'], canIntrospect: true })
    const body = await (await introspect(a.token, clientAuth(server))).json<{ active: boolean }>()
    expect(body).toMatchObject({ active: true, scope: 'read' })
  })

  it('RFC 6750 §3.1: a Bearer token with the scope, but of an application that is not designated → 403', async () => {
    // A token minted before the flag existed, or by a misconfiguration: the scope alone is not enough.
    const legacy = await storeToken({ scopes: ['introspection'] })
    const { token } = await passwordToken('read')
    const response = await introspect(token, { Authorization: `Bearer ${legacy}` })
    await expectOAuthError(response, 403, 'insufficient_scope')
    expect(response.headers.get('WWW-Authenticate')).toContain('error="insufficient_scope"')
  })
})

describe('the introspection scope goes only to designated resource servers', () => {
  it('RFC 6749 §5.2: the password grant refuses scope=introspection to an ordinary client (invalid_scope)', async () => {
    const user = await makeUser()
    const app = await makeApplication()
    const response = await postToken(
      form({
        grant_type: 'password',
        username: user.username,
        password: user.plainPassword,
        scope: 'read introspection',
        ...{ client_id: app.clientId, client_secret: app.clientSecret ?? '' },
      }),
    )
    await expectOAuthError(response, 400, 'invalid_scope')
  })

  it('RFC 6749 §5.2: client_credentials refuses scope=introspection to an ordinary client, grants it to a designated one', async () => {
    const ordinary = await makeApplication({ grantTypes: ['client-credentials'] })
    const scope = form({ grant_type: 'client_credentials', scope: 'introspection' })
    await expectOAuthError(await postToken(scope, clientAuth(ordinary)), 400, 'invalid_scope')
    const server = await makeApplication({ grantTypes: ['client-credentials'], canIntrospect: true })
    const granted = await postToken(scope, clientAuth(server))
    expect(granted.status).toBe(200)
    expect((await granted.json<{ scope: string }>()).scope).toBe('introspection')
  })

  it('RFC 6749 §4.1.2.1: /o/authorize/ with scope=introspection for an ordinary client → invalid_scope redirect', async () => {
    const user = await makeUser()
    const app = await makeApplication({ grantTypes: ['authorization-code'], redirectUris: [REDIRECT_URI] })
    const { challenge } = await pkcePair()
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: app.clientId,
      redirect_uri: REDIRECT_URI,
      scope: 'read introspection',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    })
    const response = await getPage(`/o/authorize/?${query}`, await login(user))
    expect(response.status).toBe(302)
    expect(new URL(response.headers.get('Location') ?? '').searchParams.get('error')).toBe('invalid_scope')
  })
})

describe('staff designate resource servers with manage createapplication --can-introspect', () => {
  it('the flag is off unless given, and on when given', () => {
    const base = { name: 'rs', 'client-type': 'confidential', 'grant-type': ['client-credentials'] }
    expect(applicationFromOptions(base).canIntrospect).toBe(false)
    expect(applicationFromOptions({ ...base, 'can-introspect': true }).canIntrospect).toBe(true)
  })
})
