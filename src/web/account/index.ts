/**
 * @module
 * The session's pages (HTML dialect): log in and log out under /accounts/ (Django's LoginView
 * and LogoutView), and RP-Initiated Logout at /o/logout/ (OIDC's end_session_endpoint; its
 * request's checks are src/oauth/oidc/logout.ts's).
 */
import { answerNotFound, answerOtherMethods } from '../../http/router.ts'
import { ENDPOINTS } from '../../oauth/metadata.ts'
import { createHtmlRouter, html } from '../kit/dialect.tsx'
import { SITE_PATHS } from '../kit/paths.ts'
import { fromThisSite } from '../kit/session.ts'
import { login, loginPage, logout, logoutPage } from './handlers.tsx'
import { confirmationFromThisSite, logoutForm, rpLogoutPage } from './rp-logout.handlers.tsx'

const ACCOUNTS = '/accounts/*'

export const accountsRouter = createHtmlRouter([ACCOUNTS])

accountsRouter.use(ACCOUNTS, fromThisSite())
accountsRouter.get(SITE_PATHS.login, loginPage)
accountsRouter.post(SITE_PATHS.login, login)
accountsRouter.get(SITE_PATHS.logout, logoutPage)
accountsRouter.post(SITE_PATHS.logout, logout)
answerOtherMethods(accountsRouter, html)
answerNotFound(accountsRouter, html, [ACCOUNTS])

/**
 * RP-Initiated Logout: no origin check on the route itself (relying parties post to it from
 * their own sites): the handler applies it to its confirmation form.
 */
export const rpLogoutRouter = createHtmlRouter([ENDPOINTS.endSession])

rpLogoutRouter.get(ENDPOINTS.endSession, rpLogoutPage)
rpLogoutRouter.post(ENDPOINTS.endSession, confirmationFromThisSite, logoutForm)
answerOtherMethods(rpLogoutRouter, html)
