/**
 * @module
 * `/accounts/login/` and `/accounts/logout/` (Django's LoginView / LogoutView).
 */
import type { Context } from 'hono'
import { formParams, queryParams, single } from '../lib/forms.ts'
import { db } from '../lib/request-context.ts'
import type { AppEnv } from '../types.ts'
import { Layout } from '../views/layout.tsx'
import { LoggedInPage, LoggedOutPage, LoginPage, LogoutForm } from '../views/login.tsx'
import { endSession, readSession, safeNext, startSession } from './session.ts'
import { authenticateUser } from './users.ts'

const LOGIN_PATH = '/accounts/login/'
// Django's AuthenticationForm message: it does not say which of the two was wrong.
const INVALID_LOGIN = 'Please enter a correct username and password. Note that both fields may be case-sensitive.'
const NO_STORE = { 'Cache-Control': 'no-store' }

export async function loginPage(c: Context<AppEnv>) {
  const query = queryParams(c)
  const next = single(query, 'next')
  const session = await readSession(c)
  if (session && next === undefined) return c.html(<LoggedInPage username={session.user.username} />, 200, NO_STORE)
  // /o/authorize/ passes the OIDC login_hint along: it prefills the username.
  const hint = single(query, 'login_hint')
  return c.html(<LoginPage next={safeNext(next, c.req.url, LOGIN_PATH)} username={hint} />, 200, NO_STORE)
}

export async function login(c: Context<AppEnv>) {
  const form = await formParams(c)
  const username = single(form, 'username') ?? ''
  const password = single(form, 'password') ?? ''
  const next = safeNext(single(form, 'next'), c.req.url, LOGIN_PATH)
  const user = username && password ? await authenticateUser(db(c), username, password) : null
  if (!user) return c.html(<LoginPage next={next} username={username} error={INVALID_LOGIN} />, 400, NO_STORE)
  await startSession(c, user)
  return c.body(null, 302, { Location: next, ...NO_STORE })
}

export async function logoutPage(c: Context<AppEnv>) {
  const session = await readSession(c)
  if (!session) return c.html(<LoggedOutPage />, 200, NO_STORE)
  // Logging out changes state, so it takes a POST (as Django 5), never a GET.
  return c.html(
    <Layout title="Log out?">
      <p>You are logged in as {session.user.username}.</p>
      <LogoutForm />
    </Layout>,
    200,
    NO_STORE,
  )
}

export function logout(c: Context<AppEnv>) {
  endSession(c)
  return c.html(<LoggedOutPage />, 200, NO_STORE)
}
