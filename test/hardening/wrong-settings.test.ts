/**
 * A wrong or missing setting stops the Worker, on every path: each request (the health check, the
 * OAuth endpoints, the API, the pages) answers 500 naming the setting, never its value, and logs
 * what is wrong with it; the cron cleanup refuses to run. Before, a path that never read the
 * settings (e.g. /healthz) answered as if all were well, and an unparseable SCOPES was a bare
 * JSON SyntaxError that named nothing.
 */
import { createScheduledController, env } from 'cloudflare:test'
import { describe, expect, it, vi } from 'vitest'
import { SettingsError } from '../../src/config.ts'
import worker from '../../src/index.ts'
import { fetchWithSettings, ORIGIN } from '../helpers.ts'

const PATHS = ['/healthz', '/o/token/', '/api/hello', '/accounts/login/', '/.well-known/openid-configuration']

describe('a wrong setting stops the Worker with a message naming it', () => {
  it.each([
    ['PAGE_SIZE', { PAGE_SIZE: 'two' }],
    ['SCOPES', { SCOPES: '{read: "Read"' }],
    ['IMPORTED_TOKENS_UNTIL', { IMPORTED_TOKENS_UNTIL: 'soon' }],
    ['SECRET_KEY', { SECRET_KEY: undefined }],
  ])('%s: every path answers 500 naming it; the log says why', async (setting, settings) => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => {})
    try {
      for (const path of PATHS) {
        const response = await fetchWithSettings(new Request(`${ORIGIN}${path}`), settings)
        expect(response.status, path).toBe(500)
        const body = await response.text()
        expect(body, path).toContain(`invalid setting ${setting}`)
        for (const value of Object.values(settings)) if (value) expect(body).not.toContain(value)
      }
      expect(log).toHaveBeenCalledWith(expect.stringMatching(new RegExp(`^Invalid setting: ${setting}: \\S`)))
    } finally {
      log.mockRestore()
    }
  })

  it('the cron cleanup refuses to run', async () => {
    const run = worker.scheduled(createScheduledController(), { ...env, PAGE_SIZE: '0' } as Env)
    await expect(run).rejects.toBeInstanceOf(SettingsError)
    await expect(run).rejects.toThrow(/PAGE_SIZE/)
  })

  it('with valid settings the same paths serve as usual', async () => {
    const response = await fetchWithSettings(new Request(`${ORIGIN}/healthz`), { PAGE_SIZE: '2' })
    expect(response.status).toBe(200)
  })
})
