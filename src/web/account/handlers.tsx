/**
 * @module
 * `/accounts/login/` and `/accounts/logout/` (Django's LoginView / LogoutView).
 */
import type { Context } from 'hono'
import { malformedFormPage, renderPage } from '../http/html.tsx'
import { NO_STORE_HEADERS } from '../http/semantics.ts'
import { formParams, queryParams, single } from '../lib/forms.ts'
import { clientIp, loginGate } from '../lib/rate-limit.ts'
import { db, readDb, waitUntil } from '../lib/request-context.ts'
import type { AppEnv } from '../types.ts'
import { ErrorPage } from '../views/error.tsx'
import { Layout } from '../views/layout.tsx'
import { LoggedInPage, LoggedOutPage, LoginPage, LogoutForm } from '../views/login.tsx'
import { logIn } from './login.ts'
import { endSession, readSession, safeNext, startSession } from './session.ts'
import { recordLogin } from './users.ts'

const LOGIN_PATH = '/accounts/login/'
// Django's AuthenticationForm message: it does not say which of the two was wrong.
const INVALID_LOGIN = 'Please enter a correct username and password. Note that both fields may be case-sensitive.'

export async function loginPage(c: Context<AppEnv>) {
  const query = queryParams(c)
  const next = single(query, 'next')
  // Only shown: a replica's view of the session is enough (a form posted from it is checked anew).
  const session = await readSession(c, readDb(c))
  if (session && next === undefined)
    return renderPage(c, <LoggedInPage username={session.user.username} />, 200, NO_STORE_HEADERS)
  // /o/authorize/ passes the OIDC login_hint along: it prefills the username.
  const hint = single(query, 'login_hint')
  return renderPage(
    c,
    <LoginPage next={safeNext(next, c.req.url, LOGIN_PATH)} username={hint} />,
    200,
    NO_STORE_HEADERS,
  )
}

export async function login(c: Context<AppEnv>) {
  const form = await formParams(c)
  if (!form) return malformedFormPage(c)
  const username = single(form, 'username') ?? ''
  const password = single(form, 'password') ?? ''
  const next = safeNext(single(form, 'next'), c.req.url, LOGIN_PATH)
  if (!username || !password) return loginRefused(c, next, username)
  // The same brute-force limits as the password grant and /api-token-auth/: a refused attempt
  // is answered before the password is checked, so a locked-out guesser learns nothing.
  const outcome = await logIn(db(c), loginGate(c.env, clientIp(c)), username, password)
  if (!outcome.ok && outcome.limited) {
    return renderPage(
      c,
      <ErrorPage
        title="Too many attempts"
        error="slow_down"
        description={`Too many login attempts. Try again in ${outcome.retryAfter} seconds.`}
      />,
      429,
      { 'Retry-After': String(outcome.retryAfter), ...NO_STORE_HEADERS },
    )
  }
  if (!outcome.ok) return loginRefused(c, next, username)
  await startSession(c, outcome.user)
  waitUntil(c)(recordLogin(db(c), outcome.user.id))
  return c.body(null, 302, { Location: next, ...NO_STORE_HEADERS })
}

function loginRefused(c: Context<AppEnv>, next: string, username: string) {
  return renderPage(c, <LoginPage next={next} username={username} error={INVALID_LOGIN} />, 400, NO_STORE_HEADERS)
}

export async function logoutPage(c: Context<AppEnv>) {
  const session = await readSession(c)
  if (!session) return renderPage(c, <LoggedOutPage />, 200, NO_STORE_HEADERS)
  // Logging out changes state, so it takes a POST (as Django 5), never a GET.
  return renderPage(
    c,
    <Layout title="Log out?">
      <p>You are logged in as {session.user.username}.</p>
      <LogoutForm />
    </Layout>,
    200,
    NO_STORE_HEADERS,
  )
}

export async function logout(c: Context<AppEnv>) {
  // Every copy of this session ends, not only the cookie this browser sends.
  await endSession(c, await readSession(c))
  return renderPage(c, <LoggedOutPage />, 200, NO_STORE_HEADERS)
}
