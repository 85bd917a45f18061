/**
 * @module
 * What a command asks of the person running it: a password from a flag, an environment variable
 * or the terminal, checked by Django's password validators (src/accounts/password-rules.ts).
 * Without a terminal (a script, CI, a pipe) nothing is asked: the command fails at once and says
 * which flag to pass, instead of waiting forever at `Password:`.
 */
import { createInterface } from 'node:readline/promises'
import { PASSWORD_MAX_LENGTH, type PasswordOwner, passwordProblems } from '../../accounts/password-rules.ts'

/** Whether a person can answer a prompt: stdin is a terminal. */
function isInteractive(): boolean {
  return Boolean(globalThis.process?.stdin?.isTTY)
}

async function prompt(question: string): Promise<string> {
  const readline = createInterface({ input: process.stdin, output: process.stderr, terminal: true })
  try {
    return await readline.question(question)
  } finally {
    readline.close()
  }
}

/**
 * The password for `owner`: `given` (a flag or environment variable), else typed twice at the
 * terminal; refused (thrown, one line per broken rule) unless every validator accepts it.
 */
export async function readPassword(
  given: string | undefined,
  owner: PasswordOwner,
  howToPass: string,
): Promise<string> {
  let password = given
  if (password === undefined) {
    if (!isInteractive()) throw new Error(`Error: no terminal to ask for the password: ${howToPass}.`)
    password = await prompt('Password: ')
    if ((await prompt('Password (again): ')) !== password) throw new Error("Error: Your passwords didn't match.")
  }
  if (password === '') throw new Error('Error: Blank passwords aren’t allowed.')
  if (password.length > PASSWORD_MAX_LENGTH) {
    throw new Error(`Error: Ensure the password has no more than ${PASSWORD_MAX_LENGTH} characters.`)
  }
  const problems = passwordProblems(password, owner)
  if (problems.length > 0) throw new Error(problems.map((problem) => `Error: ${problem}`).join('\n'))
  return password
}
