/**
 * @module
 * `manage createsuperuser` and `manage createuser` (Django's createsuperuser, and a plain user):
 * `--username U [--email E] [--password P]`. The username, email and password pass the same
 * rules as the API's registration (NFKC, Django's validators, case-insensitive duplicates) and
 * Django's password validators. The password comes from --password, DJANGO_SUPERUSER_PASSWORD
 * (createsuperuser, as Django's), or the terminal; without one the command fails at once.
 */
import { MESSAGES } from '../../accounts/fields.ts'
import { EMAIL_MAX, isValidEmail } from '../../accounts/registration.ts'
import { isUsernameTaken, isValidUsername, normalizeUsername, USERNAME_MAX_LENGTH } from '../../accounts/usernames.ts'
import { createUser } from '../../accounts/users.ts'
import type { Command } from './command.ts'
import { readPassword } from './input.ts'

const OPTIONS = {
  username: { type: 'string' },
  email: { type: 'string' },
  password: { type: 'string' },
} as const

function accountCommand(kind: 'superuser' | 'user'): Command {
  const name = kind === 'superuser' ? 'createsuperuser' : 'createuser'
  return {
    usage: `${name} --username <name> [--email <email>] [--password <password>]${kind === 'user' ? ' [--staff]' : ''}`,
    options: kind === 'user' ? { ...OPTIONS, staff: { type: 'boolean' } } : OPTIONS,
    async run({ db }, values) {
      const typed = values.username as string | undefined
      if (!typed) throw new Error('Error: --username is required.')
      // As Django's createsuperuser: the username field's cleaning (NFKC, validators), then the
      // duplicate check — here case-insensitive, as the API's (src/accounts/usernames.ts).
      const username = normalizeUsername(typed.trim())
      if (username.length > USERNAME_MAX_LENGTH || !isValidUsername(username)) {
        throw new Error(`Error: ${MESSAGES.username}`)
      }
      if (await isUsernameTaken(db, username)) throw new Error('Error: That username is already taken.')
      const email = ((values.email as string | undefined) ?? '').trim()
      if (email && (email.length > EMAIL_MAX || !isValidEmail(email))) throw new Error(`Error: ${MESSAGES.email}`)
      const fromEnvironment = kind === 'superuser' ? process.env.DJANGO_SUPERUSER_PASSWORD : undefined
      const password = await readPassword(
        (values.password as string | undefined) ?? fromEnvironment,
        { username, email },
        kind === 'superuser' ? 'pass --password or set DJANGO_SUPERUSER_PASSWORD' : 'pass --password',
      )
      const superuser = kind === 'superuser'
      await createUser(db, {
        username,
        email,
        password,
        isStaff: superuser || Boolean(values.staff),
        isSuperuser: superuser,
      })
      console.log(superuser ? 'Superuser created successfully.' : `User '${username}' created successfully.`)
    },
  }
}

export const createsuperuser = accountCommand('superuser')
export const createuser = accountCommand('user')
