/**
 * @module
 * `GET|POST /o/device/` (RFC 8628 §3.3): the logged-in user (requireSession) enters the user
 * code (rate-limited per user and per address), sees the application and the scopes it asks
 * for, and approves or denies with an explicit click. verification_uri_complete only prefills
 * the code. The device codes themselves are src/tokens/device-codes.ts's.
 */
import type { Context } from 'hono'
import { NO_STORE_HEADERS } from '../../http/semantics.ts'
import { formParams, queryParams, single } from '../../lib/forms.ts'
import { clientIp, DEVICE_LIMIT_PERIOD_SECONDS, userCodeEntryAllowed } from '../../lib/rate-limit.ts'
import { config, db } from '../../lib/request-context.ts'
import { ENDPOINTS } from '../../oauth/metadata.ts'
import { canonicalUserCode, decideDeviceCode, findByUserCode } from '../../tokens/device-codes.ts'
import { malformedForm, renderPage, renderPrivatePage } from '../kit/page.tsx'
import { type PageEnv, toLogin } from '../kit/session.ts'
import { DeviceCodePage, DeviceConfirmPage, DeviceDonePage } from './views.tsx'

type PageContext = Context<PageEnv>

const DECISIONS = { approve: true, deny: false } as const

const REFUSALS = {
  unknown: 'That code is not valid. Check the code on your device and try again.',
  expired: 'That code has expired. Start again on your device to get a new one.',
  used: 'That code has already been used. Start again on your device to get a new one.',
  limited: `Too many attempts. Try again in ${DEVICE_LIMIT_PERIOD_SECONDS} seconds.`,
  decision: 'Choose Approve or Deny.',
} as const

/** This page with the code (canonical form only: nothing else is carried). */
function deviceUrl(userCode: string | null): string {
  return userCode === null
    ? ENDPOINTS.deviceVerification
    : `${ENDPOINTS.deviceVerification}?${new URLSearchParams({ user_code: userCode })}`
}

/**
 * Logged out (requireSession's onAnonymous): the login page, then back here with the code typed
 * or prefilled; after a POST, 303 so the browser GETs it.
 */
export async function deviceLogin(c: Context) {
  if (c.req.method !== 'POST') {
    const typed = single(queryParams(c), 'user_code')
    return toLogin(c, deviceUrl(typed === undefined ? null : canonicalUserCode(typed)))
  }
  const form = await formParams(c)
  if (!form) return malformedForm(c)
  return toLogin(c, deviceUrl(canonicalUserCode(single(form, 'user_code') ?? '')), { status: 303 })
}

function codePage(c: PageContext, userCode: string, error?: keyof typeof REFUSALS) {
  const status = error === undefined ? 200 : error === 'limited' ? 429 : 400
  const headers: Record<string, string> = { ...NO_STORE_HEADERS }
  if (error === 'limited') headers['Retry-After'] = String(DEVICE_LIMIT_PERIOD_SECONDS)
  return renderPage(
    c,
    <DeviceCodePage
      action={ENDPOINTS.deviceVerification}
      username={c.var.user.username}
      userCode={userCode}
      error={error === undefined ? undefined : REFUSALS[error]}
    />,
    status,
    headers,
  )
}

export async function devicePage(c: PageContext) {
  const typed = single(queryParams(c), 'user_code')
  return codePage(c, typed === undefined ? '' : (canonicalUserCode(typed) ?? ''))
}

export async function deviceEntry(c: PageContext) {
  const form = await formParams(c)
  if (!form) return malformedForm(c)
  const { user } = c.var
  const typed = single(form, 'user_code') ?? ''
  const decision = single(form, 'decision')
  if (decision !== undefined && !Object.hasOwn(DECISIONS, decision)) return codePage(c, typed, 'decision')
  // Every lookup counts, the approve/deny post included: each one tests a code.
  if (!(await userCodeEntryAllowed(c.env, user.id, clientIp(c)))) return codePage(c, typed, 'limited')
  const found = await findByUserCode(db(c), typed)
  if (found.status !== 'pending') return codePage(c, typed, found.status)
  const { request } = found
  const userCode = canonicalUserCode(typed) ?? typed
  if (decision === undefined) {
    const descriptions = config(c).scopes
    return renderPrivatePage(
      c,
      <DeviceConfirmPage
        action={ENDPOINTS.deviceVerification}
        username={user.username}
        userCode={userCode}
        applicationName={request.applicationName}
        scopes={request.scopes.map((name) => ({ name, description: descriptions[name] ?? name }))}
        resources={request.resources}
      />,
    )
  }
  const approved = DECISIONS[decision as keyof typeof DECISIONS]
  const recorded = await decideDeviceCode(db(c), request.id, {
    approved,
    userId: user.id,
    authTime: c.var.session.authTime,
  })
  // Answered in another tab, or expired, since the lookup.
  if (!recorded) return codePage(c, typed, 'used')
  return renderPrivatePage(c, <DeviceDonePage approved={approved} applicationName={request.applicationName} />)
}
