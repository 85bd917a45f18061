/**
 * @module
 * OIDC Core §3.1.2.1 `prompt` (known values; `none` alone) and `max_age` (a non-negative integer).
 */
import { OAuthError } from '../../http/oauth.ts'
import type { AuthorizeParams } from './params.ts'
import { PROMPTS, type Prompt } from './request.ts'

// "the allowable elapsed time in seconds": a non-negative integer.
const MAX_AGE = /^\d{1,10}$/

export function checkPrompt(params: AuthorizeParams): { prompt: Prompt[]; maxAge: number | null } {
  const prompt = (params.prompt ?? '').split(' ').filter(Boolean)
  if (!prompt.every((value) => (PROMPTS as readonly string[]).includes(value))) {
    throw new OAuthError('invalid_request', 'Unsupported prompt value.')
  }
  // "none" with any other value is an error.
  if (prompt.includes('none') && prompt.length > 1)
    throw new OAuthError('invalid_request', 'prompt=none cannot be combined.')
  if (params.max_age !== undefined && !MAX_AGE.test(params.max_age)) {
    throw new OAuthError('invalid_request', 'max_age must be a non-negative integer.')
  }
  return { prompt: prompt as Prompt[], maxAge: params.max_age === undefined ? null : Number(params.max_age) }
}
