import { SELF } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { applicationFromOptions } from '../../src/cli/commands/createapplication.ts'
import {
  basic,
  expectOAuthError,
  fetchWithSettings,
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

describe('RFC 7662 §4 + RFC 8707: a resource server tied to its resource (createapplication --resource) learns only of tokens for it', () => {
  // A business API that stayed in Django (DOT's RESOURCE_SERVER_INTROSPECTION_URL), and another resource.
  const DJANGO_API = 'https://api.example.net/v1'
  const OTHER = 'https://reports.example.net'
  const SETTINGS = { RESOURCES: `${DJANGO_API} ${OTHER}` }

  function post(path: string, values: [string, string][], headers: Record<string, string>, settings = SETTINGS) {
    return fetchWithSettings(
      new Request(`${ORIGIN}${path}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
        body: new URLSearchParams(values).toString(),
      }),
      settings,
    )
  }

  /** A user's token from the password grant, for `resources` (none: the default audience). */
  async function tokenFor(resources: string[], settings = SETTINGS) {
    const user = await makeUser()
    const app = await makeApplication()
    const response = await post(
      '/o/token/',
      [
        ['grant_type', 'password'],
        ['username', user.username],
        ['password', user.plainPassword],
        ['scope', 'read'],
        ...resources.map((resource): [string, string] => ['resource', resource]),
      ],
      clientAuth(app),
      settings,
    )
    expect(response.status).toBe(200)
    return { user, token: (await response.json<{ access_token: string }>()).access_token }
  }

  async function introspectAs(caller: Record<string, string>, token: string, settings = SETTINGS) {
    const response = await post('/o/introspect/', [['token', token]], caller, settings)
    expect(response.status).toBe(200)
    expect(response.headers.get('Cache-Control')).toBe('no-store')
    return response.json<Record<string, unknown>>()
  }

  const djangoServer = () =>
    makeApplication({ grantTypes: ['client-credentials'], canIntrospect: true, resource: DJANGO_API })

  it('a token for its resource → active, with what DOT reads (username, scope, exp); one for the default audience or another resource → {active:false}', async () => {
    const caller = clientAuth(await djangoServer())
    const mine = await tokenFor([DJANGO_API])
    expect(await introspectAs(caller, mine.token)).toMatchObject({
      active: true,
      username: mine.user.username,
      scope: 'read',
      exp: expect.any(Number),
      aud: DJANGO_API,
    })
    for (const resources of [[], [OTHER], [`${ORIGIN}/mcp`]]) {
      expect(await introspectAs(caller, (await tokenFor(resources)).token)).toEqual({ active: false })
    }
  })

  it('a token for several resources, its own among them → active; an unbound resource server still sees every token', async () => {
    const both = await tokenFor([OTHER, DJANGO_API])
    expect(await introspectAs(clientAuth(await djangoServer()), both.token)).toMatchObject({
      active: true,
      aud: [OTHER, DJANGO_API],
    })
    const unbound = await makeApplication({ grantTypes: ['client-credentials'], canIntrospect: true })
    expect(await introspectAs(clientAuth(unbound), (await tokenFor([OTHER])).token)).toMatchObject({ active: true })
  })

  it('with DEFAULT_AUDIENCE = its resource (the APIs stayed in Django), a token requested without resource is for it', async () => {
    const settings = { ...SETTINGS, DEFAULT_AUDIENCE: DJANGO_API }
    const caller = clientAuth(await djangoServer())
    const plain = await tokenFor([], settings)
    expect(await introspectAs(caller, plain.token, settings)).toMatchObject({ active: true, aud: DJANGO_API })
    const api = await tokenFor([`${ORIGIN}/api`], settings)
    expect(await introspectAs(caller, api.token, settings)).toEqual({ active: false })
  })

  it("the same rule for its Bearer token with the introspection scope (DOT's RESOURCE_SERVER_AUTH_TOKEN)", async () => {
    const server = await djangoServer()
    const granted = await post(
      '/o/token/',
      [
        ['grant_type', 'client_credentials'],
        ['scope', 'introspection'],
      ],
      clientAuth(server),
    )
    const bearer = { Authorization: `Bearer ${(await granted.json<{ access_token: string }>()).access_token}` }
    expect(await introspectAs(bearer, (await tokenFor([DJANGO_API])).token)).toMatchObject({ active: true })
    expect(await introspectAs(bearer, (await tokenFor([OTHER])).token)).toEqual({ active: false })
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

  it('--resource ties it to its resource (RFC 8707 §2: stored in normal form); refused without --can-introspect or when not an absolute URI', () => {
    const base = { name: 'rs', 'client-type': 'confidential', 'grant-type': ['client-credentials'] }
    expect(applicationFromOptions(base).resource).toBeNull()
    const bound = applicationFromOptions({
      ...base,
      'can-introspect': true,
      resource: 'HTTPS://API.Example.net:443/v1/',
    })
    expect(bound.resource).toBe('https://api.example.net/v1')
    expect(() => applicationFromOptions({ ...base, resource: 'https://api.example.net' })).toThrow(
      '--resource: only for a resource server (add --can-introspect)',
    )
    for (const resource of ['api.example.net', 'https://api.example.net/#x']) {
      expect(() => applicationFromOptions({ ...base, 'can-introspect': true, resource })).toThrow(
        `--resource: not an absolute URI without fragment: ${resource}`,
      )
    }
  })
})
