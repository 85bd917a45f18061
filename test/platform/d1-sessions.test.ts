/**
 * D1 read replication: read paths go through a D1 session and hand its bookmark back, so a
 * client flow spanning requests reads at least what it has already seen.
 */
import { env, SELF } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { api, passwordToken, unique } from '../helpers.ts'

async function clearKv() {
  for (const key of (await env.TOKEN_CACHE.list()).keys) await env.TOKEN_CACHE.delete(key.name)
}

function hello(token: string, headers: Record<string, string> = {}) {
  return SELF.fetch('https://example.com/api/hello', { headers: { Authorization: `Bearer ${token}`, ...headers } })
}

describe('D1 sessions', () => {
  it('a token lookup that reads D1 returns the session bookmark in X-D1-Bookmark', async () => {
    const { token } = await passwordToken()
    await clearKv()
    const response = await hello(token)
    expect(response.status).toBe(200)
    expect(response.headers.get('X-D1-Bookmark')).toMatch(/^[A-Za-z0-9-]+$/)
  })

  it('a request carrying the bookmark of an earlier response reads from a session at least as fresh', async () => {
    const first = await passwordToken()
    const second = await passwordToken()
    await clearKv()
    const bookmark = (await hello(first.token)).headers.get('X-D1-Bookmark') ?? ''
    const response = await hello(second.token, { 'X-D1-Bookmark': bookmark })
    expect(response.status).toBe(200)
    expect(response.headers.get('X-D1-Bookmark')).toBeTruthy()
  })

  it('a malformed bookmark is ignored, not an error', async () => {
    const { token } = await passwordToken()
    await clearKv()
    expect((await hello(token, { 'X-D1-Bookmark': 'not a bookmark!' })).status).toBe(200)
  })

  it('a KV hit uses no D1 session and sends no bookmark', async () => {
    const { token } = await passwordToken()
    const response = await hello(token)
    expect(response.status).toBe(200)
    expect(response.headers.get('X-D1-Bookmark')).toBeNull()
  })

  it('creating a user returns a bookmark; the next list request carrying it finds the user', async () => {
    const { token } = await passwordToken()
    const username = unique('replica')
    const created = await api('/api/users/', {
      authorization: `Bearer ${token}`,
      json: { username, email: `${username}@example.com`, password: 'a long enough password' },
    })
    expect(created.status).toBe(201)
    const bookmark = created.headers.get('X-D1-Bookmark')
    expect(bookmark).toMatch(/^[A-Za-z0-9-]+$/)
    const listed = await SELF.fetch(`https://example.com/api/users/?username=${username}`, {
      headers: { Authorization: `Bearer ${token}`, 'X-D1-Bookmark': bookmark ?? '' },
    })
    expect(listed.status).toBe(200)
    expect((await listed.json<{ count: number }>()).count).toBe(1)
    expect(listed.headers.get('X-D1-Bookmark')).toBeTruthy()
  })
})
