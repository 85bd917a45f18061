import { describe, expect, it } from 'vitest'
import { createDrfRouter } from '../http/drf.ts'
import { sameOriginOnly } from './same-origin.ts'

// A DRF router, as the management API's: it answers the middleware's DrfError.
const app = createDrfRouter(['*'])
app.use('*', sameOriginOnly())
app.all('*', (c) => c.text('reached'))

const TARGET = 'https://as.example/o/applications/'

function send(method: string, headers: Record<string, string> = {}, body?: string) {
  return app.request(TARGET, { method, headers, body })
}

describe('sameOriginOnly', () => {
  it('lets safe methods through without any header', async () => {
    for (const method of ['GET', 'HEAD', 'OPTIONS']) expect((await send(method)).status).toBe(200)
  })

  it('refuses an unsafe request from another origin whatever its Content-Type', async () => {
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      for (const type of ['application/json', 'application/octet-stream', 'text/plain', undefined]) {
        const headers: Record<string, string> = { Origin: 'https://evil.example' }
        if (type) headers['Content-Type'] = type
        const response = await send(method, headers, method === 'DELETE' ? undefined : '{}')
        expect(response.status, `${method} ${type}`).toBe(403)
        expect(await response.json()).toEqual({
          detail: 'CSRF Failed: Origin checking failed - https://evil.example does not match any trusted origins.',
        })
      }
    }
  })

  it('refuses an unsafe request that names no origin at all, and Sec-Fetch-Site other than same-origin', async () => {
    const none = await send('POST', { 'Content-Type': 'application/json' }, '{}')
    expect(none.status).toBe(403)
    expect(await none.json()).toEqual({ detail: 'CSRF Failed: Origin checking failed - no Origin.' })
    for (const site of ['cross-site', 'same-site', 'none', 'garbage']) {
      expect((await send('DELETE', { 'Sec-Fetch-Site': site })).status, site).toBe(403)
    }
    // A sibling subdomain or another port/scheme is another origin.
    for (const origin of ['https://sub.as.example', 'http://as.example', 'https://as.example:8443', 'null']) {
      expect((await send('PATCH', { Origin: origin })).status, origin).toBe(403)
    }
  })

  it('accepts Sec-Fetch-Site: same-origin, or an Origin equal to the request’s', async () => {
    expect(
      (await send('POST', { 'Sec-Fetch-Site': 'same-origin', 'Content-Type': 'application/json' }, '{}')).status,
    ).toBe(200)
    expect((await send('DELETE', { Origin: 'https://as.example' })).status).toBe(200)
    expect(
      (await send('PATCH', { Origin: 'https://as.example', 'Content-Type': 'application/octet-stream' }, 'x')).status,
    ).toBe(200)
  })
})
