/**
 * Logging in rehashes an outdated password hash (Django must_update); the hashing itself is
 * tested beside its code (src/crypto/passwords.test.ts). The tests' cheap hasher never reaches the
 * Worker's own hashing: only test code turns it on (and `npm run bundle` checks that the deployed
 * bundle does not contain it).
 */

import { env } from 'cloudflare:test'
import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { authenticateUser } from '../../src/accounts/users.ts'
import { verifyPassword } from '../../src/crypto/passwords.ts'
import { users } from '../../src/db/schema.ts'
import {
  api,
  db,
  form,
  makeApplication,
  makeUser,
  passwordToken,
  postToken,
  productionPasswordCost,
  unique,
} from '../helpers.ts'

// Rehashing writes production's parameters: this file hashes at production cost.
productionPasswordCost()

// Computed with python3 hashlib.pbkdf2_hmac('sha256', …), as in src/crypto/passwords.test.ts.
const DJANGO_PBKDF2_1000 = 'pbkdf2_sha256$1000$saltsaltsalt$sYIePhT5IXESDKvnouJXtE5pTJ6Znbmef4vViYmc9Uc='

describe('authenticateUser', () => {
  async function userWithHash(encoded: string) {
    const user = await makeUser()
    await db.update(users).set({ password: encoded }).where(eq(users.id, user.id))
    return user
  }

  async function storedHash(id: number) {
    return (await db.select({ password: users.password }).from(users).where(eq(users.id, id)).get())?.password
  }

  it('a successful login with a Django pbkdf2 hash rehashes it to argon2id (must_update)', async () => {
    const user = await userWithHash(DJANGO_PBKDF2_1000)
    const app = await makeApplication()
    const response = await postToken(
      form({
        grant_type: 'password',
        username: user.username,
        password: 'password',
        client_id: app.clientId,
        client_secret: app.clientSecret ?? '',
      }),
    )
    expect(response.status).toBe(200)
    const upgraded = await storedHash(user.id)
    expect(upgraded).toMatch(/^argon2\$argon2id\$v=19\$m=19456,t=2,p=1\$/)
    expect(await verifyPassword('password', upgraded ?? '')).toBe(true)
  })

  it('a failed login leaves an outdated hash alone', async () => {
    const user = await userWithHash(DJANGO_PBKDF2_1000)
    expect(await authenticateUser(db, user.username, 'wrong')).toBeNull()
    expect(await storedHash(user.id)).toBe(DJANGO_PBKDF2_1000)
  })

  it('a current hash is not rewritten', async () => {
    const user = await makeUser()
    const before = await storedHash(user.id)
    expect((await authenticateUser(db, user.username, user.plainPassword))?.id).toBe(user.id)
    expect(await storedHash(user.id)).toBe(before)
  })
})

describe("the tests' cheap password hasher (TEST_PASSWORD_HASH_COST)", () => {
  it("is bound in the tests, and the Worker ignores the binding: a user it creates gets production's parameters", async () => {
    expect(env.TEST_PASSWORD_HASH_COST).toBe('minimum')
    const { token } = await passwordToken('read write')
    const username = unique('bound')
    const response = await api('/api/users/', {
      authorization: `Bearer ${token}`,
      json: { username, password: 'plaid kettle orbit 42' },
    })
    expect(response.status).toBe(201)
    const row = await db.select({ password: users.password }).from(users).where(eq(users.username, username)).get()
    expect(row?.password).toMatch(/^argon2\$argon2id\$v=19\$m=19456,t=2,p=1\$/)
  })
})
