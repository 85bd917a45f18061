/**
 * @module
 * Request parameters as name → every value sent, so repeated parameters can be refused
 * (RFC 6749 §3.1) instead of one silently winning.
 */
import type { Context } from 'hono'

export type RawParams = Record<string, string[]>

export function queryParams(c: Context): RawParams {
  return c.req.queries()
}

/**
 * A urlencoded or multipart form body; file parts are dropped. Null when the body cannot be
 * read as a form (a multipart body without its boundary, an unknown charset): bad input, which
 * the page answers with a 400 rather than letting the parser's exception become a 500.
 */
export async function formParams(c: Context): Promise<RawParams | null> {
  let body: Awaited<ReturnType<typeof c.req.parseBody>>
  try {
    body = await c.req.parseBody({ all: true })
  } catch {
    return null
  }
  const params: RawParams = {}
  for (const [name, value] of Object.entries(body)) {
    params[name] = (Array.isArray(value) ? value : [value]).filter((item): item is string => typeof item === 'string')
  }
  return params
}

/** The value of a parameter sent exactly once, else undefined. */
export function single(params: RawParams, name: string): string | undefined {
  return params[name]?.length === 1 ? params[name][0] : undefined
}

/**
 * An id in a path as Django's `<int:pk>` converter reads it: `[0-9]+` (so `02` is 2), and
 * nothing else — `2.0`, `0x2`, ` 2`, `+2` or `1e0` name no object (404), where Number() took them for 2.
 */
export function parsePk(raw: string): number | null {
  if (!/^[0-9]+$/.test(raw)) return null
  const id = Number(raw)
  return Number.isSafeInteger(id) ? id : null
}
