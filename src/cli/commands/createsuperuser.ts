/**
 * @module
 * `manage createsuperuser --username U --email E [--password P]` (Django's createsuperuser).
 * The password comes from --password, DJANGO_SUPERUSER_PASSWORD, or a prompt.
 */
import { createInterface } from 'node:readline/promises'
import { MESSAGES } from '../../accounts/fields.ts'
import { isUsernameTaken, isValidUsername, normalizeUsername, USERNAME_MAX_LENGTH } from '../../accounts/usernames.ts'
import { createUser } from '../../accounts/users.ts'
import type { Command } from './command.ts'

export async function prompt(question: string): Promise<string> {
  const readline = createInterface({ input: process.stdin, output: process.stderr, terminal: true })
  try {
    return await readline.question(question)
  } finally {
    readline.close()
  }
}

export const createsuperuser: Command = {
  usage: 'createsuperuser --username <name> [--email <email>] [--password <password>]',
  options: { username: { type: 'string' }, email: { type: 'string' }, password: { type: 'string' } },
  async run({ db }, values) {
    const typed = values.username as string | undefined
    if (!typed) throw new Error('--username is required')
    // As Django's createsuperuser: the username field's cleaning (NFKC, validators), then the
    // duplicate check — here case-insensitive, as the API's (src/accounts/usernames.ts).
    const username = normalizeUsername(typed.trim())
    if (username.length > USERNAME_MAX_LENGTH || !isValidUsername(username)) {
      throw new Error(`Error: ${MESSAGES.username}`)
    }
    if (await isUsernameTaken(db, username)) throw new Error(`Error: That username is already taken.`)
    const password =
      (values.password as string | undefined) ?? process.env.DJANGO_SUPERUSER_PASSWORD ?? (await prompt('Password: '))
    if (!password) throw new Error('A password is required.')
    await createUser(db, {
      username,
      email: (values.email as string | undefined) ?? '',
      password,
      isStaff: true,
      isSuperuser: true,
    })
    console.log('Superuser created successfully.')
  },
}
