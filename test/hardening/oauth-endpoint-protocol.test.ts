import { SELF } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { basic, expectOAuthError, form, makeApplication, ORIGIN } from '../helpers.ts'

/**
 * What a strict OAuth client checks at the POST-only endpoints: 405 with `Allow` for other
 * methods, form-urlencoded bodies only, and a `WWW-Authenticate` challenge on every 401.
 */
const POST_ONLY = ['/o/token/', '/o/revoke-token/', '/o/revoke_token/', '/o/introspect/']

function post(path: string, body: BodyInit, headers: Record<string, string>) {
  return SELF.fetch(`${ORIGIN}${path}`, { method: 'POST', headers, body })
}

function postForm(path: string, values: Record<string, string>, headers: Record<string, string> = {}) {
  return post(path, form(values), { 'Content-Type': 'application/x-www-form-urlencoded', ...headers })
}

describe('POST-only OAuth endpoints', () => {
  for (const path of POST_ONLY) {
    for (const method of ['GET', 'PUT', 'DELETE', 'PATCH']) {
      it(`RFC 9110 §15.5.6: ${method} ${path} is 405 with Allow: POST, in the OAuth dialect`, async () => {
        const response = await SELF.fetch(`${ORIGIN}${path}`, { method })
        const body = await expectOAuthError(response, 405, 'invalid_request')
        expect(response.headers.get('Allow')).toBe('POST')
        expect(body.error_description).toContain(method)
      })
    }
  }

  it('the metadata document is GET-only: POST is 405 with Allow: GET, HEAD', async () => {
    const response = await SELF.fetch(`${ORIGIN}/.well-known/oauth-authorization-server`, { method: 'POST' })
    await expectOAuthError(response, 405, 'invalid_request')
    expect(response.headers.get('Allow')).toBe('GET, HEAD')
  })
})

describe('RFC 6749 §3.2, RFC 7009 §2.1, RFC 7662 §2.1: form-urlencoded bodies only', () => {
  async function client() {
    const app = await makeApplication({ grantTypes: ['client-credentials'] })
    return { client_id: app.clientId, client_secret: app.clientSecret ?? '' }
  }
  const bodies: Record<string, string>[] = [
    { grant_type: 'client_credentials' },
    { token: 'x' },
    { token: 'x' },
    { token: 'x' },
  ]

  POST_ONLY.forEach((path, index) => {
    it(`${path}: a JSON body is 400 invalid_request`, async () => {
      const credentials = await client()
      const response = await post(path, JSON.stringify({ ...bodies[index], ...credentials }), {
        'Content-Type': 'application/json',
      })
      const body = await expectOAuthError(response, 400, 'invalid_request')
      expect(body.error_description).toContain('application/x-www-form-urlencoded')
    })

    it(`${path}: a multipart body is 400 invalid_request`, async () => {
      const credentials = await client()
      const data = new FormData()
      for (const [name, value] of Object.entries({ ...bodies[index], ...credentials })) data.set(name, value)
      // fetch sets multipart/form-data with its boundary.
      const response = await SELF.fetch(`${ORIGIN}${path}`, { method: 'POST', body: data })
      await expectOAuthError(response, 400, 'invalid_request')
    })
  })

  it('/o/token/: form-urlencoded with a charset parameter is still accepted', async () => {
    const credentials = await client()
    const response = await post('/o/token/', form({ grant_type: 'client_credentials', ...credentials }), {
      'Content-Type': 'application/x-www-form-urlencoded; charset=UTF-8',
    })
    expect(response.status).toBe(200)
  })
})

describe('RFC 7235 §3.1 / RFC 6749 §5.2: every 401 carries a WWW-Authenticate challenge', () => {
  async function expectChallenged(response: Response, challenge = 'Basic realm="oauth"') {
    await expectOAuthError(response, 401, 'invalid_client')
    expect(response.headers.get('WWW-Authenticate')).toBe(challenge)
  }

  async function confidential() {
    return makeApplication({ grantTypes: ['client-credentials'] })
  }

  for (const path of ['/o/token/', '/o/revoke-token/', '/o/revoke_token/']) {
    const params: Record<string, string> = path === '/o/token/' ? { grant_type: 'client_credentials' } : { token: 'x' }

    it(`${path}: no client credentials at all`, async () => {
      await expectChallenged(await postForm(path, params))
    })

    it(`${path}: an unknown client_id in the body`, async () => {
      await expectChallenged(await postForm(path, { ...params, client_id: 'no-such-client' }))
    })

    it(`${path}: a wrong client_secret in the body`, async () => {
      const app = await confidential()
      await expectChallenged(await postForm(path, { ...params, client_id: app.clientId, client_secret: 'wrong' }))
    })

    it(`${path}: a confidential client without its secret`, async () => {
      const app = await confidential()
      await expectChallenged(await postForm(path, { ...params, client_id: app.clientId }))
    })

    it(`${path}: a public client sending a secret`, async () => {
      const app = await makeApplication({ clientType: 'public', grantTypes: ['password'] })
      await expectChallenged(await postForm(path, { ...params, client_id: app.clientId, client_secret: 'x' }))
    })

    it(`${path}: wrong or malformed HTTP Basic credentials`, async () => {
      const app = await confidential()
      await expectChallenged(await postForm(path, params, { Authorization: basic(app.clientId, 'wrong') }))
      await expectChallenged(await postForm(path, params, { Authorization: 'Basic !!!' }))
    })
  }

  const introspectionChallenge = 'Basic realm="oauth", Bearer realm="oauth"'

  it('/o/introspect/: no credentials, a public client_id, a wrong secret, a bad Bearer token', async () => {
    const app = await confidential()
    const publicApp = await makeApplication({ clientType: 'public', grantTypes: ['password'] })
    const attempts: [Record<string, string>, Record<string, string>][] = [
      [{ token: 'x' }, {}],
      [{ token: 'x', client_id: publicApp.clientId }, {}],
      [{ token: 'x', client_id: 'no-such-client' }, {}],
      [{ token: 'x', client_id: app.clientId, client_secret: 'wrong' }, {}],
      [{ token: 'x' }, { Authorization: basic(app.clientId, 'wrong') }],
      [{ token: 'x' }, { Authorization: 'Bearer not-a-token' }],
    ]
    for (const [body, headers] of attempts) {
      await expectChallenged(await postForm('/o/introspect/', body, headers), introspectionChallenge)
    }
  })
})
