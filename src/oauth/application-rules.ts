/**
 * @module
 * What an application may be registered with: the ONE set of rules that the management API,
 * `manage createapplication` and the endpoints that follow a stored URI (/o/authorize/,
 * /o/logout/) all apply. Each rule answers a message (or null), so each caller words the
 * refusal in its own dialect: DRF field errors, a CLI error, an OAuth error.
 */
import type { ApplicationGrant } from '../db/schema.ts'
import { isLoopbackHost } from '../lib/loopback.ts'

/** DOT's Application.name max_length. */
export const MAX_APPLICATION_NAME_LENGTH = 255
export const MAX_REDIRECT_URI_LENGTH = 2000
export const MAX_REDIRECT_URIS = 20
/**
 * A client secret chosen by the operator (`--client-secret`) must be at least 32 characters:
 * 32 random characters of [A-Za-z0-9] carry ~190 bits, beyond guessing through the rate of a
 * token endpoint; minted secrets are longer. 255 is DOT's column size.
 * @internal Exported for tests: src/oauth/application-rules.test.ts.
 */
export const MIN_CLIENT_SECRET_LENGTH = 32
const MAX_CLIENT_SECRET_LENGTH = 255

// Whitespace would split a URI (a space-joined list made two), control characters and
// backslashes are silently dropped or turned into `/` by URL parsers, so the string the
// browser follows would not be the one that was checked. Unicode spaces (NBSP, U+2028, …) too.
// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const UNSAFE_CHARACTERS = /[\s\u0000-\u001f\u007f-\u009f\\]/u
// Unicode format characters (general category Cf): bidi overrides and isolates (U+202A–U+202E,
// U+2066–U+2069), marks (U+200E, U+200F), zero-width joiners… They render nothing themselves but
// reorder or hide what follows: "invoice\u202egpj.exe" reads "invoiceexe.jpg". On the consent
// page, in a title or in the console, a name or URI would not read as what it is.
const FORMAT_CHARACTERS = /\p{Cf}/u
// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/u

const NAME_CHARACTERS = 'A name is one line of text without control or format characters (such as U+202E or U+200E).'
const URI_FORMAT_CHARACTERS = 'A URI may not contain Unicode format characters (such as U+202E or U+200E).'

/**
 * The characters of an application's name (the console, the management API and pages, the
 * CLI), shown in titles, on the consent page and in the console: one line, nothing that
 * reorders or hides text. Blank and length are each form's own (DRF's messages).
 */
export function applicationNameProblem(name: string): string | null {
  return CONTROL_CHARACTERS.test(name) || FORMAT_CHARACTERS.test(name) ? NAME_CHARACTERS : null
}

/**
 * A name a client chose for itself (RFC 7591 client_name, a metadata document's), shown on the
 * consent page: one line of printable text without format characters, at most DOT's name length.
 */
export function clientNameProblem(name: string): string | null {
  if (name.length > MAX_APPLICATION_NAME_LENGTH || applicationNameProblem(name)) {
    return `client_name is one line of at most ${MAX_APPLICATION_NAME_LENGTH} characters, without control or format characters (such as U+202E).`
  }
  return null
}

const REDIRECT_RULE = 'Enter an https URI without a fragment (http only for localhost or 127.0.0.1).'

/** RFC 6749 §3.1.2 + DOT's ALLOWED_REDIRECT_URI_SCHEMES (https, or http to the local machine), no fragment, nothing hidden. */
export function redirectUriProblem(value: string): string | null {
  if (value.length > MAX_REDIRECT_URI_LENGTH) {
    return `Ensure this URI has no more than ${MAX_REDIRECT_URI_LENGTH} characters.`
  }
  if (UNSAFE_CHARACTERS.test(value)) return 'A URI may not contain whitespace, control characters or backslashes.'
  if (FORMAT_CHARACTERS.test(value)) return URI_FORMAT_CHARACTERS
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return REDIRECT_RULE
  }
  // §3.1.2: "The endpoint URI MUST NOT include a fragment component."
  if (url.hash !== '' || value.includes('#')) return REDIRECT_RULE
  if (url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname))) return null
  return REDIRECT_RULE
}

export function isAllowedRedirectUri(value: string): boolean {
  return redirectUriProblem(value) === null
}

/**
 * OIDC RP-Initiated Logout §3 post_logout_redirect_uri: the same rule as a redirect URI (DOT
 * validates both with its RedirectURIValidator), so /o/logout/ never sends a browser to
 * `javascript:` or over plain http to another machine.
 */
export function postLogoutRedirectUriProblem(value: string): string | null {
  return redirectUriProblem(value)
}

/** @internal Exported for tests: src/oauth/application-rules.test.ts. */
export function clientSecretProblem(secret: string): string | null {
  if (secret.length < MIN_CLIENT_SECRET_LENGTH) {
    return `A client secret needs at least ${MIN_CLIENT_SECRET_LENGTH} characters.`
  }
  if (secret.length > MAX_CLIENT_SECRET_LENGTH) {
    return `A client secret has at most ${MAX_CLIENT_SECRET_LENGTH} characters.`
  }
  // Printable ASCII without spaces: it travels in HTTP Basic and form bodies unchanged.
  if (!/^[\x21-\x7e]+$/.test(secret)) return 'A client secret is printable ASCII without spaces.'
  return null
}

export type ApplicationSettings = {
  clientType: 'confidential' | 'public'
  grantTypes: readonly ApplicationGrant[]
  redirectUris: readonly string[]
  postLogoutRedirectUris?: readonly string[]
  /** Only when the caller chose it (CLI); minted secrets need no check. */
  clientSecret?: string
}

/** Field errors for settings that cannot work or are unsafe, as DRF's `{"field": ["message"]}`; null when none. */
export function applicationProblems(settings: ApplicationSettings): Record<string, string[]> | null {
  const problems: Record<string, string[]> = {}
  const add = (field: string, message: string) => {
    problems[field] = [...(problems[field] ?? []), message]
  }
  const { clientType, grantTypes, redirectUris } = settings
  if (grantTypes.length === 0) add('authorization_grant_type', 'Choose at least one grant type.')
  // RFC 6749 §3.1.2.2: clients of the code grant must register their redirection endpoints.
  if (grantTypes.includes('authorization-code') && redirectUris.length === 0) {
    add('redirect_uris', 'The authorization-code grant needs at least one redirect URI.')
  }
  // RFC 6749 §4.4: client credentials are for confidential clients only.
  if (grantTypes.includes('client-credentials') && clientType === 'public') {
    add('authorization_grant_type', 'Public clients may not use the client-credentials grant.')
  }
  for (const [field, uris, rule] of [
    ['redirect_uris', redirectUris, redirectUriProblem],
    ['post_logout_redirect_uris', settings.postLogoutRedirectUris ?? [], postLogoutRedirectUriProblem],
  ] as const) {
    if (uris.length > MAX_REDIRECT_URIS) add(field, `Ensure this list has no more than ${MAX_REDIRECT_URIS} URIs.`)
    uris.forEach((uri, index) => {
      const problem = rule(uri)
      if (problem) add(`${field}.${index}`, problem)
    })
  }
  if (settings.clientSecret !== undefined) {
    if (clientType === 'public') add('client_secret', 'Public clients have no client secret.')
    else {
      const problem = clientSecretProblem(settings.clientSecret)
      if (problem) add('client_secret', problem)
    }
  }
  return Object.keys(problems).length > 0 ? problems : null
}

/** Each value once, first occurrence kept (DRF's MultipleChoiceField keeps a set). */
export function distinct<T>(values: readonly T[]): T[] {
  return [...new Set(values)]
}
