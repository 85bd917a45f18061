import { describe, expect, it } from 'vitest'
import { MAX_PARAM_LENGTH } from '../../src/oauth/authorization/params.ts'
import {
  form,
  getPage,
  login,
  makeApplication,
  makeUser,
  pkcePair,
  postForm,
  postToken,
  REDIRECT_URI,
} from '../helpers.ts'

const LOOPBACK_REDIRECT = 'http://127.0.0.1:9000/cb'

async function setup(overrides: Parameters<typeof makeApplication>[0] = {}, redirectUri = REDIRECT_URI) {
  const user = await makeUser()
  const app = await makeApplication({
    grantTypes: ['authorization-code'],
    redirectUris: [REDIRECT_URI, LOOPBACK_REDIRECT],
    ...overrides,
  })
  const pkce = await pkcePair()
  const params: Record<string, string> = {
    response_type: 'code',
    client_id: app.clientId,
    redirect_uri: redirectUri,
    scope: 'read write',
    state: 'xyz-123',
    code_challenge: pkce.challenge,
    code_challenge_method: 'S256',
  }
  return { app, pkce, params, cookie: await login(user) }
}

const authorizeUrl = (params: Record<string, string>) => `/o/authorize/?${new URLSearchParams(params)}`

function location(response: Response): URL {
  expect(response.status).toBe(302)
  return new URL(response.headers.get('Location') ?? '')
}

/** Approves once on the consent page and redeems the code, so the user holds a live token of the app. */
async function approveAndRedeem(setupResult: Awaited<ReturnType<typeof setup>>) {
  const { app, pkce, params, cookie } = setupResult
  const code = location(
    await postForm('/o/authorize/', { ...params, allow: 'Approve' }, { Cookie: cookie }),
  ).searchParams.get('code')
  const response = await postToken(
    form({
      grant_type: 'authorization_code',
      code: code ?? '',
      redirect_uri: params.redirect_uri,
      code_verifier: pkce.verifier,
      client_id: app.clientId,
      ...(app.clientSecret ? { client_secret: app.clientSecret } : {}),
    }),
  )
  expect(response.status).toBe(200)
}

describe('RFC 8252 §8.6: no silent approval for clients that cannot prove who they are', () => {
  it('a public client with a live earlier approval gets the consent page again (loopback redirect)', async () => {
    const flow = await setup({ clientType: 'public' }, LOOPBACK_REDIRECT)
    await approveAndRedeem(flow)
    const response = await getPage(authorizeUrl(flow.params), flow.cookie)
    expect(response.status).toBe(200)
    expect(await response.text()).toContain('Approve')
  })

  it('a public client with a live earlier approval gets the consent page again (https redirect)', async () => {
    const flow = await setup({ clientType: 'public' })
    await approveAndRedeem(flow)
    expect((await getPage(authorizeUrl(flow.params), flow.cookie)).status).toBe(200)
  })

  it('prompt=none for a public client with an earlier approval → consent_required, never a code', async () => {
    const flow = await setup({ clientType: 'public' }, LOOPBACK_REDIRECT)
    await approveAndRedeem(flow)
    const target = location(await getPage(authorizeUrl({ ...flow.params, prompt: 'none' }), flow.cookie))
    expect(target.searchParams.get('error')).toBe('consent_required')
    expect(target.searchParams.get('code')).toBeNull()
  })

  it('a confidential client with a live earlier approval still skips consent (DOT APPROVAL_PROMPT=auto)', async () => {
    const flow = await setup({}, LOOPBACK_REDIRECT)
    await approveAndRedeem(flow)
    expect(location(await getPage(authorizeUrl(flow.params), flow.cookie)).searchParams.get('code')).toMatch(/^eac_/)
  })

  it('a public skip_authorization client: skipped for its https redirect_uri, not for a loopback one', async () => {
    const { params, cookie } = await setup({ clientType: 'public', skipAuthorization: true })
    expect(location(await getPage(authorizeUrl(params), cookie)).searchParams.get('code')).toMatch(/^eac_/)
    const loopback = await getPage(authorizeUrl({ ...params, redirect_uri: LOOPBACK_REDIRECT }), cookie)
    expect(loopback.status).toBe(200)
  })
})

describe('authorization request parameters have length limits', () => {
  for (const [name, limit] of Object.entries(MAX_PARAM_LENGTH)) {
    it(`${name}: ${limit} characters pass the check, ${limit + 1} are invalid_request`, async () => {
      const { params, cookie } = await setup()
      // The scope value must still name real scopes to pass: pad with repeated known ones.
      const value = (length: number) =>
        name === 'scope' ? `read${' '.repeat(length - 'readwrite'.length)}write` : 'a'.repeat(length)
      const atLimit = await getPage(authorizeUrl({ ...params, [name]: value(limit) }), cookie)
      expect(atLimit.status).toBe(200)
      const over = location(await getPage(authorizeUrl({ ...params, [name]: value(limit + 1) }), cookie))
      expect(over.searchParams.get('error')).toBe('invalid_request')
      expect(over.searchParams.get('error_description')).toContain(name)
      // An over-long state is not echoed back.
      expect(over.searchParams.get('state')).toBe(name === 'state' ? null : params.state)
    })
  }
})
