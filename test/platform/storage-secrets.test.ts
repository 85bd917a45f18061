import { env, SELF } from 'cloudflare:test'
import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { sha256Hex } from '../../src/crypto/digest.ts'
import { toHex } from '../../src/crypto/encoding.ts'
import { users } from '../../src/db/schema.ts'
import { replaceApiKeys } from '../../src/tokens/api-keys.ts'
import {
  api,
  basic,
  db,
  form,
  getPage,
  hello,
  login,
  makeApplication,
  makeUser,
  ORIGIN,
  passwordToken,
  pkcePair,
  postForm,
  postToken,
  REDIRECT_URI,
  refreshGrant,
  testStore,
  tokenDatabases,
} from '../helpers.ts'

/** Every row of every table of every D1 database: the main one and each token shard. */
async function dumpD1(): Promise<string> {
  const dumps: unknown[] = []
  for (const { d1 } of tokenDatabases()) {
    const tables = await d1
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '_cf_%' AND name NOT LIKE 'sqlite_%'",
      )
      .all<{ name: string }>()
    for (const { name } of tables.results) dumps.push(await d1.prepare(`SELECT * FROM "${name}"`).all())
  }
  return JSON.stringify(dumps, blobsAsText)
}

/**
 * D1 returns a BLOB (the token digests) as an array of bytes: shown as its hex (how a digest is
 * written elsewhere) and as the text of those bytes (so a secret stored as a BLOB is still seen).
 */
function blobsAsText(_key: string, value: unknown): unknown {
  if (!Array.isArray(value) || value.length === 0 || !value.every((n) => Number.isInteger(n) && n >= 0 && n < 256)) {
    return value
  }
  const bytes = Uint8Array.from(value as number[])
  return `${toHex(bytes)} ${new TextDecoder().decode(bytes)}`
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

  it('after a full session of flows, no issued token, code, key, client secret, password or session appears in D1 or KV', async () => {
    const secrets: Record<string, string> = {}
    const user = await makeUser({ password: 'a full session password 42' })
    secrets.password = user.plainPassword
    const cookie = await login(user)
    secrets.session = cookie.split('=').slice(1).join('=')

    // Register an application through the management API, then rotate its secret.
    const management = (method: string, path: string, json?: unknown) =>
      SELF.fetch(`${ORIGIN}${path}`, {
        method,
        headers: { Cookie: cookie, Origin: ORIGIN, ...(json ? { 'Content-Type': 'application/json' } : {}) },
        body: json ? JSON.stringify(json) : undefined,
      })
    const registered = await management('POST', '/o/applications/', {
      name: 'Full session',
      client_type: 'confidential',
      authorization_grant_type: ['authorization-code', 'password', 'client-credentials'],
      redirect_uris: [REDIRECT_URI],
    })
    expect(registered.status).toBe(201)
    const app = await registered.json<{ id: number; client_id: string; client_secret: string }>()
    secrets.firstClientSecret = app.client_secret
    const rotated = await management('POST', `/o/applications/${app.id}/rotate-secret/`)
    expect(rotated.status).toBe(200)
    const clientSecret = (await rotated.json<{ client_secret: string }>()).client_secret
    secrets.clientSecret = clientSecret
    const client = { client_id: app.client_id, client_secret: clientSecret }
    const tokens = async (response: Response) => {
      expect(response.status).toBe(200)
      return response.json<{ access_token: string; refresh_token?: string }>()
    }

    // Authorization code with PKCE: consent page (no earlier approval yet), approve, redeem.
    const pkce = await pkcePair()
    const request = {
      response_type: 'code',
      client_id: app.client_id,
      redirect_uri: REDIRECT_URI,
      scope: 'read write',
      state: 'full-session',
      code_challenge: pkce.challenge,
      code_challenge_method: 'S256',
    }
    expect((await getPage(`/o/authorize/?${new URLSearchParams(request)}`, cookie)).status).toBe(200)
    const approved = await postForm('/o/authorize/', { ...request, allow: 'Approve' }, { Cookie: cookie })
    const code = new URL(approved.headers.get('Location') ?? '').searchParams.get('code') ?? ''
    secrets.code = code
    secrets.codeVerifier = pkce.verifier
    const viaCode = await tokens(
      await postToken(
        form({
          grant_type: 'authorization_code',
          code,
          redirect_uri: REDIRECT_URI,
          code_verifier: pkce.verifier,
          ...client,
        }),
      ),
    )
    secrets.codeAccess = viaCode.access_token
    secrets.codeRefresh = viaCode.refresh_token ?? ''

    // Password grant, client_credentials.
    const viaPassword = await tokens(
      await postToken(
        form({ grant_type: 'password', username: user.username, password: user.plainPassword, ...client }),
      ),
    )
    secrets.passwordAccess = viaPassword.access_token
    secrets.passwordRefresh = viaPassword.refresh_token ?? ''
    const viaClient = await tokens(await postToken(form({ grant_type: 'client_credentials', ...client })))
    secrets.clientAccess = viaClient.access_token

    // Refresh rotation.
    const refreshed = await tokens(
      await refreshGrant({ clientId: app.client_id, clientSecret }, viaCode.refresh_token ?? ''),
    )
    secrets.rotatedAccess = refreshed.access_token
    secrets.rotatedRefresh = refreshed.refresh_token ?? ''

    // DRF keys: obtained with the password, then replaced.
    const obtained = await api('/api-token-auth/', { form: { username: user.username, password: user.plainPassword } })
    secrets.firstApiKey = (await obtained.json<{ token: string }>()).token
    expect((await api('/api/hello', { authorization: `Token ${secrets.firstApiKey}` })).status).toBe(200)
    secrets.apiKey = (await replaceApiKeys(testStore(), user.id)).key
    expect((await api('/api/hello', { authorization: `Token ${secrets.apiKey}` })).status).toBe(200)

    // Every live token used once more, so each cache tier holds what it would in production.
    for (const token of [viaPassword.access_token, viaClient.access_token, refreshed.access_token]) {
      expect((await hello(token)).status).toBe(200)
    }

    const d1 = await dumpD1()
    const kv = await dumpKV()
    for (const [name, secret] of Object.entries(secrets)) {
      expect(secret.length, name).toBeGreaterThan(10)
      expect(d1.includes(secret), `${name} in D1`).toBe(false)
      expect(kv.includes(secret), `${name} in KV`).toBe(false)
    }
    // The dumps hold the digests instead (so the check above looked at the right data).
    expect(d1).toContain(await sha256Hex(refreshed.access_token))
    expect(d1).toContain(await sha256Hex(code))
    expect(d1).toContain(await sha256Hex(secrets.apiKey))
    expect(d1).toContain(await sha256Hex(clientSecret))
    expect(kv).toContain(await sha256Hex(refreshed.access_token))
    expect(kv).toContain(await sha256Hex(secrets.apiKey))
  })
})
