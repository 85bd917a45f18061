import { describe, expect, it } from 'vitest'
import { createDrfRouter, DrfError } from './drf.ts'

const router = createDrfRouter(['*'])
router.get('/forbidden', () => {
  throw new DrfError(403, 'You do not have permission to perform this action.')
})
router.use('/guarded', async () => {
  throw new DrfError(401, 'Invalid token.', { 'WWW-Authenticate': ['Token', 'Bearer realm="api"'] })
})
router.get('/guarded', (c) => c.text('reached'))
router.get('/throttled', () => {
  throw new DrfError(429, 'Request was throttled. Expected available in 7 seconds.', { 'Retry-After': '7' })
})

describe('DrfError: one thrown error, answered by the DRF dialect as DRF’s APIException', () => {
  it('from a handler: `{"detail": …}` with its status', async () => {
    const response = await router.request('/forbidden')
    expect(response.status).toBe(403)
    expect(await response.json()).toEqual({ detail: 'You do not have permission to perform this action.' })
    expect(response.headers.get('WWW-Authenticate')).toBeNull()
  })

  it('from middleware, with its challenges (RFC 7235 §4.1: one per scheme)', async () => {
    const response = await router.request('/guarded')
    expect(response.status).toBe(401)
    expect(await response.json()).toEqual({ detail: 'Invalid token.' })
    expect(response.headers.get('WWW-Authenticate')).toBe('Token, Bearer realm="api"')
  })

  it('with the headers it names (DRF’s Throttled: Retry-After)', async () => {
    const response = await router.request('/throttled')
    expect(response.status).toBe(429)
    expect(response.headers.get('Retry-After')).toBe('7')
  })
})
