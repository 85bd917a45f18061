import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { basic, fetchWithSettings, form, makeApplication } from '../helpers.ts'

/**
 * Without ISSUER the issuer would follow the Host header, and a discovery
 * document naming any host would be cached publicly. Unset, only loopback hosts are served.
 */
const UNSET = { ISSUER: undefined }
const DOCUMENTS = ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server']

describe('ISSUER unset', () => {
  // What the Worker logs across the whole describe, asserted by its last test.
  const logged: unknown[][] = []
  beforeEach(() => {
    vi.spyOn(console, 'error').mockImplementation((...args) => void logged.push(args))
  })
  afterEach(() => vi.restoreAllMocks())

  for (const path of DOCUMENTS) {
    it(`RFC 8414 §3: ${path} for a non-loopback Host is refused, never a document naming that host`, async () => {
      const response = await fetchWithSettings(new Request(`https://attacker.example${path}`), UNSET)
      expect(response.status).toBe(503)
      expect(response.headers.get('Cache-Control')).toBe('no-store')
      const text = await response.text()
      expect(text).not.toContain('attacker.example')
      expect(JSON.parse(text)).toMatchObject({ error: 'temporarily_unavailable' })
      expect(JSON.parse(text).error_description).toContain('ISSUER')
    })

    for (const origin of ['http://localhost:8787', 'http://127.0.0.1:8787', 'http://127.0.0.2', 'http://[::1]:8787']) {
      it(`${path} on the loopback origin ${origin} names that origin (local development)`, async () => {
        const response = await fetchWithSettings(new Request(`${origin}${path}`), UNSET)
        expect(response.status).toBe(200)
        expect((await response.json<{ issuer: string }>()).issuer).toBe(origin)
      })
    }
  }

  it('/o/token/ for a non-loopback Host issues nothing (id_tokens would name that host)', async () => {
    const app = await makeApplication({ grantTypes: ['client-credentials'] })
    const request = new Request('https://attacker.example/o/token/', {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        Authorization: basic(app.clientId, app.clientSecret ?? ''),
      },
      body: form({ grant_type: 'client_credentials' }),
    })
    const response = await fetchWithSettings(request, UNSET)
    expect(response.status).toBe(503)
    expect(await response.json()).toMatchObject({ error: 'temporarily_unavailable' })
  })

  it('/o/authorize/ for a non-loopback Host is an HTML error page, before any code is minted', async () => {
    const response = await fetchWithSettings(new Request('https://attacker.example/o/authorize/?client_id=x'), UNSET)
    expect(response.status).toBe(503)
    expect(response.headers.get('Content-Type')).toContain('text/html')
    expect(await response.text()).toContain('ISSUER')
  })

  it('the missing setting is logged once per isolate, naming the refused host', () => {
    const about = logged.filter(([message]) => String(message).includes('ISSUER is not set'))
    expect(about).toHaveLength(1)
    expect(String(about[0][0])).toContain('attacker.example')
  })

  it('with ISSUER set, any Host gets the configured issuer', async () => {
    const response = await fetchWithSettings(new Request(`https://attacker.example${DOCUMENTS[0]}`), {
      ISSUER: 'https://id.example.net',
    })
    expect((await response.json<{ issuer: string }>()).issuer).toBe('https://id.example.net')
  })
})
