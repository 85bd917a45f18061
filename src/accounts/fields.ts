/**
 * @module
 * DRF's CharField input rules and Django's messages, shared by the API's user-facing forms.
 */

export const MESSAGES = {
  required: 'This field is required.',
  null: 'This field may not be null.',
  blank: 'This field may not be blank.',
  notString: 'Not a valid string.',
  maxLength: (limit: number) => `Ensure this field has no more than ${limit} characters.`,
  username: 'Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.',
  usernameTaken: 'A user with that username already exists.',
  email: 'Enter a valid email address.',
} as const

export type CharField = { required: boolean; allowBlank: boolean; trim: boolean; maxLength: number }

/** DRF CharField.to_internal_value + its blank, null and length rules; errors go to `errors`. */
export function readCharField(value: unknown, field: CharField, errors: string[]): string | undefined {
  if (value === undefined) {
    if (field.required) errors.push(MESSAGES.required)
    return undefined
  }
  if (value === null) {
    errors.push(MESSAGES.null)
    return undefined
  }
  if (typeof value !== 'string' && (typeof value !== 'number' || !Number.isFinite(value))) {
    errors.push(MESSAGES.notString)
    return undefined
  }
  const text = field.trim ? String(value).trim() : String(value)
  if (text.trim() === '') {
    if (!field.allowBlank) errors.push(MESSAGES.blank)
    return text.trim()
  }
  if (text.length > field.maxLength) errors.push(MESSAGES.maxLength(field.maxLength))
  return text
}

/** Drops the fields without errors: what is left is DRF's 400 body. */
export function fieldErrors(errors: Record<string, string[]>): Record<string, string[]> | null {
  const invalid = Object.entries(errors).filter(([, messages]) => messages.length > 0)
  return invalid.length > 0 ? Object.fromEntries(invalid) : null
}
