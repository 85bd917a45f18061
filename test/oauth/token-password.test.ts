import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { getConfig } from '../../src/config.ts'
import { basic, form, makeApplication, makeUser, postToken } from '../helpers.ts'

async function setup(appOverrides: Parameters<typeof makeApplication>[0] = {}) {
  const user = await makeUser()
  const app = await makeApplication(appOverrides)
  const params = {
    grant_type: 'password',
    username: user.username,
    password: user.plainPassword,
    client_id: app.clientId,
    client_secret: app.clientSecret ?? '',
  }
  return { user, app, params }
}

async function expectError(response: Response, status: number, error: string) {
  expect(response.status).toBe(status)
  expect(response.headers.get('Content-Type')).toMatch(/^application\/json/)
  expect(response.headers.get('Cache-Control')).toBe('no-store')
  const body = await response.json<{ error: string; error_description: string }>()
  expect(body.error).toBe(error)
  expect(typeof body.error_description).toBe('string')
  return body
}

describe('POST /o/token/ grant_type=password', () => {
  it('RFC 6749 §5.1: issues a Bearer token and a refresh token with client_secret_post', async () => {
    const { params } = await setup()
    const response = await postToken(form(params))
    expect(response.status).toBe(200)
    expect(response.headers.get('Cache-Control')).toBe('no-store')
    expect(response.headers.get('Pragma')).toBe('no-cache')
    const body = await response.json<Record<string, unknown>>()
    expect(body).toEqual({
      access_token: expect.stringMatching(/^eat_[A-Za-z0-9]{61}(?:[A-Za-z0-9]{2})?$/),
      refresh_token: expect.stringMatching(/^ert_[A-Za-z0-9]{61}(?:[A-Za-z0-9]{2})?$/),
      token_type: 'Bearer',
      expires_in: 86400,
      scope: 'read write groups',
    })
  })

  it('RFC 6749 §2.3.1: accepts client_secret_basic', async () => {
    const { app, params } = await setup()
    const { client_id: _id, client_secret: _secret, ...rest } = params
    const response = await postToken(form(rest), { Authorization: basic(app.clientId, app.clientSecret ?? '') })
    expect(response.status).toBe(200)
    expect((await response.json<{ token_type: string }>()).token_type).toBe('Bearer')
  })

  it('expires_in equals ACCESS_TOKEN_EXPIRE_SECONDS', async () => {
    const { params } = await setup()
    const response = await postToken(form(params))
    const body = await response.json<{ expires_in: number }>()
    expect(body.expires_in).toBe(getConfig(env).accessTokenLifetime)
  })

  it('RFC 6749 §3.3: grants a requested subset of the configured scopes', async () => {
    const { params } = await setup()
    const response = await postToken(form({ ...params, scope: 'read' }))
    expect(response.status).toBe(200)
    expect((await response.json<{ scope: string }>()).scope).toBe('read')
  })

  it('RFC 6749 §5.2: invalid_scope for a scope that is not configured', async () => {
    const { params } = await setup()
    await expectError(await postToken(form({ ...params, scope: 'read admin' })), 400, 'invalid_scope')
  })

  it('RFC 6749 §5.2: invalid_request when grant_type is missing', async () => {
    const { params } = await setup()
    const { grant_type: _, ...rest } = params
    const body = await expectError(await postToken(form(rest)), 400, 'invalid_request')
    expect(body.error_description).toContain('grant_type')
  })

  it('RFC 6749 §5.2: invalid_request when the password is missing', async () => {
    const { params } = await setup()
    const { password: _, ...rest } = params
    await expectError(await postToken(form(rest)), 400, 'invalid_request')
  })

  it('RFC 6749 §3.2: invalid_request when a parameter is repeated', async () => {
    const { params } = await setup()
    const body = `${form(params)}&scope=read&scope=write`
    const error = await expectError(await postToken(body), 400, 'invalid_request')
    expect(error.error_description).toContain('Repeated parameter: scope')
  })

  it('RFC 6749 §3.2: invalid_request for a body that is not form-encoded', async () => {
    const { params } = await setup()
    const response = await postToken(JSON.stringify(params), { 'Content-Type': 'application/json' })
    await expectError(response, 400, 'invalid_request')
  })

  it('RFC 6749 §2.3: invalid_request when the client uses Basic and the body at once', async () => {
    const { app, params } = await setup()
    const response = await postToken(form(params), { Authorization: basic(app.clientId, app.clientSecret ?? '') })
    await expectError(response, 400, 'invalid_request')
  })

  it('RFC 6749 §5.2 / RFC 7235 §3.1: invalid_client (401) for a wrong secret in the body, still challenged', async () => {
    const { params } = await setup()
    const response = await postToken(form({ ...params, client_secret: 'wrong' }))
    await expectError(response, 401, 'invalid_client')
    expect(response.headers.get('WWW-Authenticate')).toBe('Basic realm="oauth"')
  })

  it('RFC 6749 §5.2: invalid_client (401) with WWW-Authenticate: Basic when Basic was used', async () => {
    const { app, params } = await setup()
    const { client_id: _id, client_secret: _secret, ...rest } = params
    const response = await postToken(form(rest), { Authorization: basic(app.clientId, 'wrong') })
    await expectError(response, 401, 'invalid_client')
    expect(response.headers.get('WWW-Authenticate')).toMatch(/^Basic /)
  })

  it('RFC 6749 §5.2: invalid_client for an unknown client_id', async () => {
    const { params } = await setup()
    await expectError(await postToken(form({ ...params, client_id: 'nobody' })), 401, 'invalid_client')
  })

  it('RFC 6749 §5.2: invalid_client when no client credentials are given', async () => {
    const { params } = await setup()
    const { client_id: _id, client_secret: _secret, ...rest } = params
    await expectError(await postToken(form(rest)), 401, 'invalid_client')
  })

  it('RFC 6749 §5.2: invalid_client for a malformed Basic header', async () => {
    const { params } = await setup()
    const { client_id: _id, client_secret: _secret, ...rest } = params
    const response = await postToken(form(rest), { Authorization: 'Basic !!!' })
    await expectError(response, 401, 'invalid_client')
  })

  it('RFC 6749 §5.2: invalid_grant for a wrong password', async () => {
    const { params } = await setup()
    await expectError(await postToken(form({ ...params, password: 'wrong' })), 400, 'invalid_grant')
  })

  it('RFC 6749 §5.2: invalid_grant for an unknown user', async () => {
    const { params } = await setup()
    await expectError(await postToken(form({ ...params, username: 'nobody-at-all' })), 400, 'invalid_grant')
  })

  it('RFC 6749 §5.2: invalid_grant for an inactive user', async () => {
    const user = await makeUser({ isActive: false })
    const { params } = await setup()
    const response = await postToken(form({ ...params, username: user.username, password: user.plainPassword }))
    await expectError(response, 400, 'invalid_grant')
  })

  it('RFC 6749 §5.2: unauthorized_client when the application may not use the password grant', async () => {
    const { params } = await setup({ grantTypes: ['client-credentials'] })
    await expectError(await postToken(form(params)), 400, 'unauthorized_client')
  })

  it('RFC 6749 §5.2: unsupported_grant_type for an unknown grant', async () => {
    const { params } = await setup()
    await expectError(await postToken(form({ ...params, grant_type: 'magic' })), 400, 'unsupported_grant_type')
  })

  it('accepts a public client identified by client_id alone', async () => {
    const { params } = await setup({ clientType: 'public' })
    const { client_secret: _, ...rest } = params
    expect((await postToken(form(rest))).status).toBe(200)
  })
})
