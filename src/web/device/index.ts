/**
 * @module
 * The device verification page at /o/device/ (RFC 8628 §3.3; HTML dialect, not part of the JSON
 * API description): logged-in users only, its forms posted from this site only.
 */
import { answerOtherMethods } from '../../http/router.ts'
import { ENDPOINTS } from '../../oauth/metadata.ts'
import { createHtmlRouter, html } from '../kit/dialect.tsx'
import { type PageEnv, requireSession } from '../kit/session.ts'
import { deviceEntry, deviceLogin, devicePage } from './handlers.tsx'

export const deviceRouter = createHtmlRouter<PageEnv>([ENDPOINTS.deviceVerification])

// On the page's own methods only: any other is answered 405, logged in or not.
const loggedIn = requireSession({ onAnonymous: deviceLogin })
deviceRouter.get(ENDPOINTS.deviceVerification, loggedIn, devicePage)
deviceRouter.post(ENDPOINTS.deviceVerification, loggedIn, deviceEntry)
answerOtherMethods(deviceRouter, html)
