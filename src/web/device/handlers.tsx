/**
 * @module
 * `GET|POST /o/device/` (RFC 8628 §3.3): the logged-in user enters the user code (rate-limited
 * per user and per address), sees the application and the scopes it asks for, and approves or
 * denies with an explicit click. verification_uri_complete only prefills the code.
 */
import type { Context } from 'hono'
import { readSession, type Session } from '../accounts/session.ts'
import { malformedFormPage, renderPage } from '../http/html.tsx'
import { NO_STORE_HEADERS } from '../http/semantics.ts'
import { formParams, queryParams, single } from '../lib/forms.ts'
import { clientIp, DEVICE_LIMIT_PERIOD_SECONDS, userCodeEntryAllowed } from '../lib/rate-limit.ts'
import { config, db } from '../lib/request-context.ts'
import { canonicalUserCode, decideDeviceCode, findByUserCode } from '../tokens/device-codes.ts'
import type { AppEnv } from '../types.ts'
import { DeviceCodePage, DeviceConfirmPage, DeviceDonePage } from '../views/device.tsx'
import { ENDPOINTS } from './metadata.ts'

const DECISIONS = { approve: true, deny: false } as const

const REFUSALS = {
  unknown: 'That code is not valid. Check the code on your device and try again.',
  expired: 'That code has expired. Start again on your device to get a new one.',
  used: 'That code has already been used. Start again on your device to get a new one.',
  limited: `Too many attempts. Try again in ${DEVICE_LIMIT_PERIOD_SECONDS} seconds.`,
  decision: 'Choose Approve or Deny.',
} as const

/** The login page, then back here with the code (canonical form only: nothing else is carried). */
function toLogin(c: Context<AppEnv>, userCode: string | null, status: 302 | 303): Response {
  const back =
    userCode === null
      ? ENDPOINTS.deviceVerification
      : `${ENDPOINTS.deviceVerification}?${new URLSearchParams({ user_code: userCode })}`
  return c.body(null, status, {
    Location: `/accounts/login/?${new URLSearchParams({ next: back })}`,
    ...NO_STORE_HEADERS,
  })
}

function codePage(c: Context<AppEnv>, session: Session, userCode: string, error?: keyof typeof REFUSALS) {
  const status = error === undefined ? 200 : error === 'limited' ? 429 : 400
  const headers: Record<string, string> = { ...NO_STORE_HEADERS }
  if (error === 'limited') headers['Retry-After'] = String(DEVICE_LIMIT_PERIOD_SECONDS)
  return renderPage(
    c,
    <DeviceCodePage
      username={session.user.username}
      userCode={userCode}
      error={error === undefined ? undefined : REFUSALS[error]}
    />,
    status,
    headers,
  )
}

export async function devicePage(c: Context<AppEnv>) {
  const typed = single(queryParams(c), 'user_code')
  const userCode = typed === undefined ? null : canonicalUserCode(typed)
  const session = await readSession(c)
  if (!session) return toLogin(c, userCode, 302)
  return codePage(c, session, userCode ?? '')
}

export async function deviceEntry(c: Context<AppEnv>) {
  const form = await formParams(c)
  if (!form) return malformedFormPage(c)
  const typed = single(form, 'user_code') ?? ''
  const session = await readSession(c)
  if (!session) return toLogin(c, canonicalUserCode(typed), 303)
  const decision = single(form, 'decision')
  if (decision !== undefined && !Object.hasOwn(DECISIONS, decision)) return codePage(c, session, typed, 'decision')
  // Every lookup counts, the approve/deny post included: each one tests a code.
  if (!(await userCodeEntryAllowed(c.env, session.user.id, clientIp(c)))) return codePage(c, session, typed, 'limited')
  const found = await findByUserCode(db(c), typed)
  if (found.status !== 'pending') return codePage(c, session, typed, found.status)
  const { request } = found
  const userCode = canonicalUserCode(typed) ?? typed
  if (decision === undefined) {
    const descriptions = config(c).scopes
    return renderPage(
      c,
      <DeviceConfirmPage
        username={session.user.username}
        userCode={userCode}
        applicationName={request.applicationName}
        scopes={request.scopes.map((name) => ({ name, description: descriptions[name] ?? name }))}
        resources={request.resources}
      />,
      200,
      NO_STORE_HEADERS,
    )
  }
  const approved = DECISIONS[decision as keyof typeof DECISIONS]
  const recorded = await decideDeviceCode(db(c), request.id, {
    approved,
    userId: session.user.id,
    authTime: session.authTime,
  })
  // Answered in another tab, or expired, since the lookup.
  if (!recorded) return codePage(c, session, typed, 'used')
  return renderPage(
    c,
    <DeviceDonePage approved={approved} applicationName={request.applicationName} />,
    200,
    NO_STORE_HEADERS,
  )
}
