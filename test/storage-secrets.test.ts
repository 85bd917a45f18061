import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { sha256Hex } from '../src/crypto/digest.ts'
import { passwordToken } from './helpers.ts'

async function dumpD1(): Promise<string> {
  const tables = await env.DB.prepare(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '_cf_%' AND name NOT LIKE 'sqlite_%'",
  ).all<{ name: string }>()
  const dumps: unknown[] = []
  for (const { name } of tables.results) {
    dumps.push(await env.DB.prepare(`SELECT * FROM "${name}"`).all())
  }
  return JSON.stringify(dumps)
}

async function dumpKV(): Promise<string> {
  const entries: string[] = []
  for (const key of (await env.TOKEN_CACHE.list()).keys) {
    entries.push(key.name, (await env.TOKEN_CACHE.get(key.name)) ?? '')
  }
  return entries.join('\n')
}

describe('secrets at rest', () => {
  it('no access token, refresh token, client secret or password is stored in plaintext in D1 or KV', async () => {
    const { token, refreshToken, app, user } = await passwordToken()
    const d1 = await dumpD1()
    const kv = await dumpKV()
    const secrets = [token, refreshToken, app.clientSecret ?? '', user.plainPassword]
    for (const secret of secrets) {
      expect(secret.length).toBeGreaterThan(10)
      expect(d1).not.toContain(secret)
      expect(kv).not.toContain(secret)
    }
    // What is stored instead: the digests.
    expect(d1).toContain(await sha256Hex(token))
    expect(d1).toContain(await sha256Hex(refreshToken))
    expect(kv).toContain(await sha256Hex(token))
  })
})
