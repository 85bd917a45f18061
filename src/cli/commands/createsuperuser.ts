/**
 * @module
 * `manage createsuperuser --username U --email E [--password P]` (Django's createsuperuser).
 * The password comes from --password, DJANGO_SUPERUSER_PASSWORD, or a prompt.
 */
import { createInterface } from 'node:readline/promises'
import { createUser, findUserByUsername } from '../../accounts/users.ts'
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
    const username = values.username as string | undefined
    if (!username) throw new Error('--username is required')
    if (await findUserByUsername(db, username)) throw new Error(`Error: That username is already taken.`)
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
