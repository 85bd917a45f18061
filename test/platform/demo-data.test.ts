/**
 * The demo data `npm run dev` seeds (scripts/demo.ts): the README's password-grant and
 * client_credentials examples both work with what it prints, it is created once, and a deleted
 * demo application is made again with a new secret (how a lost one is recovered).
 */
import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { demoBlock, seedDemo } from '../../scripts/demo.ts'
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

describe('what npm run dev prints last (demoBlock)', () => {
  const rule = /^═{40,}$/
  const fresh = {
    username: 'admin',
    password: 'p4ss word/+',
    clientId: 'cid',
    clientSecret: 'ecs_secret',
    serviceClientId: 'sid',
    serviceClientSecret: 'ecs_service',
  }

  it('the first time: every credential and the curls that use them, between two rules', () => {
    const lines = demoBlock(fresh, 'http://localhost:8787').split('\n')
    expect(lines[0]).toMatch(rule)
    expect(lines.at(-1)).toMatch(rule)
    const block = lines.join('\n')
    for (const value of ['admin', 'cid', 'ecs_secret', 'sid', 'ecs_service']) expect(block).toContain(value)
    expect(block).toContain("-u 'cid:ecs_secret'")
    expect(block).toContain(`password=${encodeURIComponent('p4ss word/+')}`)
    expect(block).toContain('http://localhost:8787/api/hello')
  })

  it('later: no credential, how to recover one, where the server is', () => {
    const block = demoBlock(null, 'http://127.0.0.1:9000')
    expect(block.split('\n')[0]).toMatch(rule)
    expect(block).toMatch(/already exists/)
    expect(block).toContain('npm run manage -- changepassword admin')
    expect(block).toContain('http://127.0.0.1:9000/docs')
    expect(block.split('\n').length).toBeLessThanOrEqual(8)
  })
})
