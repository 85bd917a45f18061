/**
 * The demo data `npm run dev` seeds (scripts/demo.ts): the README's password-grant and
 * client_credentials examples both work with what it prints, it is created once, and a deleted
 * demo application is made again with a new secret (how a lost one is recovered).
 */
import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { seedDemo } from '../../scripts/demo.ts'
import { applications } from '../../src/db/schema.ts'
import { basic, db, form, hello, postToken } from '../helpers.ts'

describe('demo data (npm run dev)', () => {
  it('prints a password-grant and a client_credentials application whose secrets work; seeded once; a deleted app comes back with a new secret', async () => {
    const demo = await seedDemo(db)
    if (!demo?.password || !demo.clientSecret || !demo.serviceClientSecret) throw new Error('expected fresh demo data')

    const password = await postToken(
      form({ grant_type: 'password', username: demo.username, password: demo.password }),
      {
        Authorization: basic(demo.clientId, demo.clientSecret),
      },
    )
    expect(password.status).toBe(200)
    const service = await postToken(form({ grant_type: 'client_credentials' }), {
      Authorization: basic(demo.serviceClientId, demo.serviceClientSecret),
    })
    expect(service.status).toBe(200)
    const { access_token } = await service.json<{ access_token: string }>()
    expect((await hello(access_token)).status).toBe(200)
    // Each application has its one grant: the password app cannot act for itself.
    const refused = await postToken(form({ grant_type: 'client_credentials' }), {
      Authorization: basic(demo.clientId, demo.clientSecret),
    })
    expect(refused.status).toBe(400)

    expect(await seedDemo(db)).toBeNull()

    await db.delete(applications).where(eq(applications.clientId, demo.serviceClientId))
    const again = await seedDemo(db)
    expect(again).toMatchObject({ password: null, clientId: demo.clientId, clientSecret: null })
    expect(again?.serviceClientSecret).toBeTruthy()
    expect(again?.serviceClientId).not.toBe(demo.serviceClientId)
    const renewed = await postToken(form({ grant_type: 'client_credentials' }), {
      Authorization: basic(again?.serviceClientId ?? '', again?.serviceClientSecret ?? ''),
    })
    expect(renewed.status).toBe(200)
  })
})
