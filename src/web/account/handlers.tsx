/**
 * @module
 * `/accounts/login/` and `/accounts/logout/` (Django's LoginView / LogoutView).
 */
import type { Context } from 'hono'
import { logIn } from '../../accounts/login.ts'
import { endSession, readSession, safeNext, startSession } from '../../accounts/session.ts'
import { recordLogin } from '../../accounts/users.ts'
import { NO_STORE_HEADERS } from '../../http/semantics.ts'
import { formParams, queryParams, single } from '../../lib/forms.ts'
import { clientIp, loginGate } from '../../lib/rate-limit.ts'
import { db, readDb, waitUntil } from '../../lib/request-context.ts'
import type { AppEnv } from '../../types.ts'
import { errorPage, malformedForm, renderPrivatePage } from '../kit/page.tsx'
import { SITE_PATHS } from '../kit/paths.ts'
import { LoggedInPage, LoggedOutPage, LoginPage, LogoutQuestionPage } from './views.tsx'

// Django's AuthenticationForm message: it does not say which of the two was wrong.
const INVALID_LOGIN = 'Please enter a correct username and password. Note that both fields may be case-sensitive.'

export async function loginPage(c: Context<AppEnv>) {
  const query = queryParams(c)
  const next = single(query, 'next')
  // Only shown: a replica's view of the session is enough (a form posted from it is checked anew).
  const session = await readSession(c, readDb(c))
  if (session && next === undefined) return renderPrivatePage(c, <LoggedInPage username={session.user.username} />)
  // /o/authorize/ passes the OIDC login_hint along: it prefills the username.
  const hint = single(query, 'login_hint')
  return renderPrivatePage(c, <LoginPage next={safeNext(next, c.req.url, SITE_PATHS.login)} username={hint} />)
}

export async function login(c: Context<AppEnv>) {
  const form = await formParams(c)
  if (!form) return malformedForm(c)
  const username = single(form, 'username') ?? ''
  const password = single(form, 'password') ?? ''
  const next = safeNext(single(form, 'next'), c.req.url, SITE_PATHS.login)
  if (!username || !password) return loginRefused(c, next, username)
  // The same brute-force limits as the password grant and /api-token-auth/: a refused attempt
  // is answered before the password is checked, so a locked-out guesser learns nothing.
  const outcome = await logIn(db(c), loginGate(c.env, clientIp(c)), username, password)
  if (!outcome.ok && outcome.limited) {
    return errorPage(
      c,
      429,
      {
        title: 'Too many attempts',
        error: 'slow_down',
        description: `Too many login attempts. Try again in ${outcome.retryAfter} seconds.`,
      },
      { 'Retry-After': String(outcome.retryAfter), ...NO_STORE_HEADERS },
    )
  }
  if (!outcome.ok) return loginRefused(c, next, username)
  await startSession(c, outcome.user)
  waitUntil(c)(recordLogin(db(c), outcome.user.id))
  return c.body(null, 302, { Location: next, ...NO_STORE_HEADERS })
}

function loginRefused(c: Context<AppEnv>, next: string, username: string) {
  return renderPrivatePage(c, <LoginPage next={next} username={username} error={INVALID_LOGIN} />, 400)
}

export async function logoutPage(c: Context<AppEnv>) {
  const session = await readSession(c)
  if (!session) return renderPrivatePage(c, <LoggedOutPage />)
  // Logging out changes state, so it takes a POST (as Django 5), never a GET.
  return renderPrivatePage(c, <LogoutQuestionPage username={session.user.username} />)
}

export async function logout(c: Context<AppEnv>) {
  // Every copy of this session ends, not only the cookie this browser sends.
  await endSession(c, await readSession(c))
  return renderPrivatePage(c, <LoggedOutPage />)
}
