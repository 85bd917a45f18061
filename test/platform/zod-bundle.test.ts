import { z as openapiZ } from '@hono/zod-openapi'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { form, postToken } from '../helpers.ts'

/**
 * The Worker bundle replaces `zod` with src/lib/zod-without-locales.ts (wrangler.toml `[alias]`,
 * README "Bundle"); vitest.config.ts applies the same alias, so these run against what ships.
 */
describe('zod in the bundle (without locales)', () => {
  it('is the aliased module: only the English error map is left', () => {
    expect(Object.keys(z.locales)).toEqual(['en'])
    expect(Object.keys(z.core.locales)).toEqual(['en'])
  })

  it('is one zod for our code and @hono/zod-openapi: same classes, .openapi() on every schema', () => {
    expect(openapiZ).toBe(z)
    const schema = z.object({ name: z.string() }).openapi('Thing')
    expect(schema).toBeInstanceOf(z.ZodType)
    expect(schema).toBeInstanceOf(z.core.$ZodType)
    const result = schema.safeParse({ name: 1 })
    expect(result.error).toBeInstanceOf(z.ZodError)
    expect(result.error).toBeInstanceOf(z.core.$ZodError)
  })

  it('keeps the rest of the API: coerce, iso, JSON Schema, config', () => {
    expect(z.coerce.number().parse('5')).toBe(5)
    expect(z.iso.datetime().safeParse('2026-11-22T16:00:00Z').success).toBe(true)
    expect(z.toJSONSchema(z.string().min(1))).toMatchObject({ type: 'string', minLength: 1 })
    expect(z.fromJSONSchema({ type: 'integer' }).safeParse(1.5).success).toBe(false)
    const message = 'Invalid input: expected string, received number'
    expect(z.string().safeParse(1).error?.issues[0].message).toBe(message)
    z.config(z.locales.en())
    expect(z.string().safeParse(1).error?.issues[0].message).toBe(message)
  })

  it('RFC 6749 §5.2: a schema failure on /o/* reads in English (zod default error map)', async () => {
    const response = await postToken(form({ grant_type: '' }))
    expect(response.status).toBe(400)
    const body = await response.json<{ error: string; error_description: string }>()
    expect(body.error).toBe('invalid_request')
    expect(body.error_description).toContain(
      'Invalid parameter: grant_type: Too small: expected string to have >=1 characters',
    )
  })
})
