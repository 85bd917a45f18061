import { describe, expect, it } from 'vitest'
import { basic, expectOAuthError, form, hello, makeApplication, postToken } from '../helpers.ts'

describe('POST /o/token/ grant_type=client_credentials', () => {
  it('RFC 6749 §4.4.3: issues an access token without a refresh token', async () => {
    const app = await makeApplication({ grantTypes: ['client-credentials'] })
    const response = await postToken(form({ grant_type: 'client_credentials', scope: 'read' }), {
      Authorization: basic(app.clientId, app.clientSecret ?? ''),
    })
    expect(response.status).toBe(200)
    expect(response.headers.get('Cache-Control')).toBe('no-store')
    const body = await response.json<Record<string, unknown>>()
    expect(body).toEqual({
      access_token: expect.stringMatching(/^eat_/),
      expires_in: 86400,
      token_type: 'Bearer',
      scope: 'read',
    })
    // The token acts for the client alone, and it works on the API.
    expect((await hello(body.access_token as string)).status).toBe(200)
  })

  it('RFC 6749 §4.4: a public client may not use it → unauthorized_client', async () => {
    const app = await makeApplication({ clientType: 'public', grantTypes: ['client-credentials'] })
    const response = await postToken(form({ grant_type: 'client_credentials', client_id: app.clientId }))
    await expectOAuthError(response, 400, 'unauthorized_client')
  })

  it('RFC 6749 §5.2: unauthorized_client when the application lacks the grant', async () => {
    const app = await makeApplication({ grantTypes: ['password'] })
    const response = await postToken(
      form({ grant_type: 'client_credentials', client_id: app.clientId, client_secret: app.clientSecret ?? '' }),
    )
    await expectOAuthError(response, 400, 'unauthorized_client')
  })

  it('RFC 6749 §5.2: invalid_client for a wrong secret', async () => {
    const app = await makeApplication({ grantTypes: ['client-credentials'] })
    const response = await postToken(form({ grant_type: 'client_credentials' }), {
      Authorization: basic(app.clientId, 'wrong'),
    })
    await expectOAuthError(response, 401, 'invalid_client')
  })

  it('RFC 6749 §5.2: invalid_scope for an unknown scope', async () => {
    const app = await makeApplication({ grantTypes: ['client-credentials'] })
    const response = await postToken(form({ grant_type: 'client_credentials', scope: 'admin' }), {
      Authorization: basic(app.clientId, app.clientSecret ?? ''),
    })
    await expectOAuthError(response, 400, 'invalid_scope')
  })
})
