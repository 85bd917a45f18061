/**
 * @module
 * Django's default AUTH_PASSWORD_VALIDATORS (django.contrib.auth.password_validation), with
 * Django's messages: minimum length, similarity to the user's attributes, common passwords,
 * entirely numeric. Every place that sets a password applies them, with the same length bound:
 * the users API and the operator console (src/accounts/registration.ts readPassword) and the CLI
 * (createsuperuser, createuser, changepassword: src/cli/commands/input.ts), as Django's commands
 * and forms do.
 */

/** The longest password accepted anywhere (DRF's ModelSerializer bound, from Django's `password` max_length=128). */
export const PASSWORD_MAX_LENGTH = 128

// MinimumLengthValidator's default min_length.
const PASSWORD_MIN_LENGTH = 8
// UserAttributeSimilarityValidator's DEFAULT_MAX_SIMILARITY.
const MAX_SIMILARITY = 0.7

/**
 * The head of Django's CommonPasswordValidator list (which holds 20,000 entries): the passwords
 * leaked most often (mostly ones long enough to pass the length rule, so this check adds to it).
 */
const COMMON_PASSWORDS = new Set(
  [
    '123456',
    '1234567',
    '12345',
    'qwerty',
    'abc123',
    '111111',
    'admin',
    'letmein',
    'monkey',
    'dragon',
    'password',
    'password1',
    'password12',
    'password123',
    'passw0rd',
    'p@ssw0rd',
    'p@ssword',
    '12345678',
    '123456789',
    '1234567890',
    '0123456789',
    '87654321',
    '11111111',
    '00000000',
    '12341234',
    '11223344',
    '123123123',
    '1q2w3e4r',
    '1q2w3e4r5t',
    'qwertyui',
    'qwertyuiop',
    'qwerty123',
    'qwerty12',
    'asdfghjk',
    'asdfghjkl',
    'zxcvbnm1',
    '1qaz2wsx',
    'qazwsxedc',
    'abcd1234',
    'abc12345',
    'aa123456',
    'iloveyou',
    'iloveyou1',
    'sunshine',
    'princess',
    'football',
    'baseball',
    'basketball',
    'superman',
    'batman12',
    'starwars',
    'whatever',
    'trustno1',
    'welcome1',
    'welcome123',
    'letmein1',
    'computer',
    'internet',
    'michelle',
    'jennifer',
    'jordan23',
    'liverpool',
    'chelsea1',
    'arsenal1',
    'charlie1',
    'monkey12',
    'dragon12',
    'master12',
    'shadow12',
    'mustang1',
    'michael1',
    'corvette',
    'mercedes',
    'butterfly',
    'sunflower',
    'blink182',
    'football1',
    'baseball1',
    'princess1',
    'lovely12',
    'admin123',
    'administrator',
    'changeme',
    'default1',
    'letmein123',
    'test1234',
    'testtest',
    'qwe12345',
    'asd12345',
    'zaq12wsx',
    'q1w2e3r4',
    'q1w2e3r4t5',
    'a1b2c3d4',
    'passpass',
    'secret12',
    'freedom1',
    'hello123',
    'superstar',
    'password!',
    'Password1',
    'Password123',
  ].map((password) => password.toLowerCase()),
)

export type PasswordOwner = { username: string; email?: string; firstName?: string; lastName?: string }

/** Every rule the password breaks, as Django's messages (empty: acceptable). */
export function passwordProblems(password: string, owner: PasswordOwner): string[] {
  const problems: string[] = []
  const similar = similarAttribute(password, owner)
  if (similar) problems.push(`The password is too similar to the ${similar}.`)
  if (password.length < PASSWORD_MIN_LENGTH) {
    problems.push(`This password is too short. It must contain at least ${PASSWORD_MIN_LENGTH} characters.`)
  }
  if (COMMON_PASSWORDS.has(password.trim().toLowerCase())) problems.push('This password is too common.')
  if (/^\d+$/.test(password)) problems.push('This password is entirely numeric.')
  return problems
}

const ATTRIBUTES = [
  ['username', 'username'],
  ['firstName', 'first name'],
  ['lastName', 'last name'],
  ['email', 'email address'],
] as const

/** UserAttributeSimilarityValidator: the verbose name of the first attribute too close to the password. */
function similarAttribute(password: string, owner: PasswordOwner): string | null {
  const lowered = password.toLowerCase()
  for (const [field, name] of ATTRIBUTES) {
    const value = owner[field]
    if (!value) continue
    for (const part of [...value.split(/\W+/u), value]) {
      if (exceedsMaximumLengthRatio(password, part)) continue
      if (quickRatio(lowered, part.toLowerCase()) >= MAX_SIMILARITY) return name
    }
  }
  return null
}

// Django's exceeds_maximum_length_ratio: a much longer password cannot be "similar" to a short value.
function exceedsMaximumLengthRatio(password: string, value: string): boolean {
  return password.length >= 10 * value.length && value.length < (MAX_SIMILARITY / 2) * password.length
}

/**
 * Python's difflib.SequenceMatcher(a, b).quick_ratio(): 2 × shared characters (as multisets) / total length.
 * @internal Exported for tests: src/accounts/password-rules.test.ts checks it against CPython's difflib.
 */
export function quickRatio(a: string, b: string): number {
  const total = a.length + b.length
  if (total === 0) return 1
  const counts = new Map<string, number>()
  for (const char of b) counts.set(char, (counts.get(char) ?? 0) + 1)
  let matches = 0
  for (const char of a) {
    const left = counts.get(char) ?? 0
    if (left > 0) {
      matches++
      counts.set(char, left - 1)
    }
  }
  return (2 * matches) / total
}
