/**
 * The resource API's lane (src/index.ts): `/api/` requests skip the app's ~300-route table for the
 * API's own routes. The lane must be the same API: the same routes and middleware, and only
 * `/api/` paths on it.
 */
import { describe, expect, it } from 'vitest'
import { apiLane, app, onApiLane } from '../../src/index.ts'
import { api, passwordToken } from '../helpers.ts'

const underApi = (path: string) => path === '/api/*' || path.startsWith('/api/')
const routesOf = (routes: { method: string; path: string }[]) =>
  routes.filter((route) => underApi(route.path)).map((route) => `${route.method} ${route.path}`)

describe('the API lane', () => {
  it.each([
    ['https://example.com/api/hello', true],
    ['https://example.com/api/users/?page=2', true],
    ['http://127.0.0.1:8787/api/', true],
    ['https://example.com/api', false],
    ['https://example.com/api-token-auth/', false],
    ['https://example.com/apis/', false],
    ['https://example.com/o/api/', false],
    ['https://example.com/?next=/api/hello', false],
    ['https://example.com/healthz', false],
  ])('%s is on the lane: %s', (url, expected) => {
    expect(onApiLane(url)).toBe(expected)
  })

  it('has every /api/ route and middleware of the app, in the same order, and nothing else but the settings check', () => {
    expect(routesOf(apiLane.routes)).toEqual(routesOf(app.routes))
    expect(apiLane.routes.filter((route) => !underApi(route.path)).map((route) => route.path)).toEqual(['/*'])
  })

  it('answers as the app does: a token, a 401 in DRF JSON, a 404 in DRF JSON, a 405', async () => {
    const { token } = await passwordToken()
    const hello = await api('/api/hello', { authorization: `Bearer ${token}` })
    expect([hello.status, await hello.text()]).toEqual([200, 'Hello, OAuth2!'])
    const anonymous = await api('/api/hello')
    expect(anonymous.status).toBe(401)
    expect(await anonymous.json()).toEqual({ detail: 'Authentication credentials were not provided.' })
    const missing = await api('/api/nothing-here/', { authorization: `Bearer ${token}` })
    expect(missing.status).toBe(404)
    expect(await missing.json()).toHaveProperty('detail')
    expect((await api('/api/hello', { method: 'DELETE', authorization: `Bearer ${token}` })).status).toBe(405)
  })
})
