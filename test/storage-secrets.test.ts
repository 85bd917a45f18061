import { env } from 'cloudflare:test'
import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { sha256Hex } from '../src/crypto/digest.ts'
import { users } from '../src/db/schema.ts'
import { basic, db, form, makeApplication, makeUser, passwordToken, postToken } from './helpers.ts'

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

  it('after every flow touched by the hardening (rehash, failed and limited logins, Basic auth), nothing is in plaintext', async () => {
    const secrets: string[] = []
    // A Django pbkdf2 user logs in: the hash is upgraded to argon2id.
    const django = await makeUser({ password: 'password' })
    await db
      .update(users)
      .set({ password: 'pbkdf2_sha256$1000$saltsaltsalt$sYIePhT5IXESDKvnouJXtE5pTJ6Znbmef4vViYmc9Uc=' })
      .where(eq(users.id, django.id))
    const app = await makeApplication()
    const client = { client_id: app.clientId, client_secret: app.clientSecret ?? '' }
    const upgraded = await postToken(
      form({ grant_type: 'password', username: django.username, password: 'password', ...client }),
    )
    const upgradedBody = await upgraded.json<{ access_token: string; refresh_token: string }>()
    secrets.push(upgradedBody.access_token, upgradedBody.refresh_token, client.client_secret)
    // Failed logins until the username is rate limited; the guessed passwords are not stored either.
    const victim = await makeUser({ password: 'victim-password-123' })
    for (let i = 0; i < 11; i++) {
      const guess = `guess-number-${i}-secret`
      secrets.push(guess)
      await postToken(form({ grant_type: 'password', username: victim.username, password: guess, ...client }))
    }
    secrets.push(victim.plainPassword)
    // Basic client authentication.
    const viaBasic = await postToken(
      form({ grant_type: 'password', username: django.username, password: 'password' }),
      { Authorization: basic(app.clientId, app.clientSecret ?? '') },
    )
    const basicBody = await viaBasic.json<{ access_token: string; refresh_token: string }>()
    secrets.push(basicBody.access_token, basicBody.refresh_token)

    const d1 = await dumpD1()
    const kv = await dumpKV()
    for (const secret of secrets) {
      expect(secret.length).toBeGreaterThan(10)
      expect(d1).not.toContain(secret)
      expect(kv).not.toContain(secret)
    }
    const stored = await db.select({ password: users.password }).from(users).where(eq(users.id, django.id)).get()
    expect(stored?.password).toMatch(/^argon2\$argon2id\$/)
  })
})
