/**
 * @module
 * The operator console router (/admin/, HTML dialect): staff sessions only, the origin check on
 * every unsafe request (requireSession, src/web/kit/session.ts), every state change a POST,
 * destructive ones behind a confirmation page.
 */
import type { Context } from 'hono'
import { answerNotFound, answerOtherMethods } from '../../http/router.ts'
import { createHtmlRouter, html } from '../kit/dialect.tsx'
import { here, type PageEnv, requireSession, toLogin } from '../kit/session.ts'
import { createKey, revokeKey } from './api-keys.handlers.tsx'
import * as applications from './applications.handlers.tsx'
import * as clientKeys from './client-keys.handlers.tsx'
import * as rules from './id-jag-rules.handlers.tsx'
import * as identityProviders from './identity-providers.handlers.tsx'
import { auditLogPage, consoleHome } from './log.handlers.tsx'
import { APPLICATIONS, CONSOLE, ID_JAG_RULES, IDENTITY_PROVIDERS, LOG, TOKENS, USERS } from './shell.tsx'
import { revokeAll, revokeAllPage, revokeOne, tokenList } from './tokens.handlers.tsx'
import * as users from './users.handlers.tsx'

const PATHS = ['/admin', '/admin/*']
const USER = `${USERS}:id{[0-9]+}/`
const APPLICATION = `${APPLICATIONS}:id{[0-9]+}/`
const RULE = `${APPLICATION}id-jag-rules/:rule{[0-9]+}/`
const IDENTITY_PROVIDER = `${IDENTITY_PROVIDERS}:id{[0-9]+}/`

/** Logged out: the login page, back to the page asked for (the console's home after a POST). */
const toConsoleLogin = (c: Context) => toLogin(c, c.req.method === 'GET' ? here(c) : CONSOLE)

export const adminRouter = createHtmlRouter<PageEnv>(PATHS)

for (const path of PATHS) adminRouter.use(path, requireSession({ staff: true, onAnonymous: toConsoleLogin }))
adminRouter.get('/admin', (c) => c.redirect(CONSOLE, 301))
adminRouter.get(CONSOLE, consoleHome)
adminRouter.get(LOG, auditLogPage)

adminRouter.get(USERS, users.userList)
adminRouter.get(`${USERS}add/`, users.addUserPage)
adminRouter.post(`${USERS}add/`, users.addUser)
adminRouter.get(USER, users.userDetail)
adminRouter.get(`${USER}change/`, users.changeUserPage)
adminRouter.post(`${USER}change/`, users.changeUser)
adminRouter.get(`${USER}password/`, users.passwordPage)
adminRouter.post(`${USER}password/`, users.changePassword)
adminRouter.post(`${USER}deactivate/`, users.deactivate)
adminRouter.post(`${USER}reactivate/`, users.reactivate)
adminRouter.get(`${USER}logout-everywhere/`, users.logoutEverywherePage)
adminRouter.post(`${USER}logout-everywhere/`, users.logoutEverywhere)
adminRouter.get(`${USER}delete/`, users.deletePage)
adminRouter.post(`${USER}delete/`, users.removeUser)
adminRouter.post(`${USER}tokens/:kind/:token/revoke/`, revokeOne('user'))
adminRouter.get(`${USER}tokens/revoke-all/`, revokeAllPage('user'))
adminRouter.post(`${USER}tokens/revoke-all/`, revokeAll('user'))
adminRouter.post(`${USER}api-key/create/`, createKey)
adminRouter.post(`${USER}api-key/:key/revoke/`, revokeKey)

adminRouter.get(TOKENS, tokenList)

adminRouter.get(APPLICATIONS, applications.applicationList)
adminRouter.get(`${APPLICATIONS}add/`, applications.addApplicationPage)
adminRouter.post(`${APPLICATIONS}add/`, applications.addApplication)
adminRouter.get(APPLICATION, applications.applicationDetail)
adminRouter.get(`${APPLICATION}change/`, applications.changeApplicationPage)
adminRouter.post(`${APPLICATION}change/`, applications.changeApplication)
adminRouter.get(`${APPLICATION}rotate-secret/`, applications.rotateSecretPage)
adminRouter.post(`${APPLICATION}rotate-secret/`, applications.rotateSecret)
adminRouter.get(`${APPLICATION}delete/`, applications.deleteApplicationPage)
adminRouter.post(`${APPLICATION}delete/`, applications.removeApplication)
adminRouter.post(`${APPLICATION}tokens/:kind/:token/revoke/`, revokeOne('application'))
adminRouter.get(`${APPLICATION}tokens/revoke-all/`, revokeAllPage('application'))
adminRouter.post(`${APPLICATION}tokens/revoke-all/`, revokeAll('application'))
adminRouter.get(`${APPLICATION}keys/`, clientKeys.keysPage)
adminRouter.post(`${APPLICATION}keys/`, clientKeys.setKeys)
adminRouter.get(`${APPLICATION}keys/remove/`, clientKeys.removeKeysPage)
adminRouter.post(`${APPLICATION}keys/remove/`, clientKeys.removeKeys)
adminRouter.get(`${APPLICATION}id-jag-rules/add/`, rules.addRulePage)
adminRouter.post(`${APPLICATION}id-jag-rules/add/`, rules.addRule)
adminRouter.get(`${RULE}remove/`, rules.removeRulePage)
adminRouter.post(`${RULE}remove/`, rules.removeRule)
adminRouter.get(`${ID_JAG_RULES}:id{[0-9]+}/`, rules.showRule)

adminRouter.get(IDENTITY_PROVIDERS, identityProviders.identityProviderList)
adminRouter.get(`${IDENTITY_PROVIDERS}add/`, identityProviders.addIdentityProviderPage)
adminRouter.post(`${IDENTITY_PROVIDERS}add/`, identityProviders.addIdentityProvider)
adminRouter.get(IDENTITY_PROVIDER, identityProviders.identityProviderPage)
adminRouter.post(IDENTITY_PROVIDER, identityProviders.changeIdentityProvider)
adminRouter.get(`${IDENTITY_PROVIDER}remove/`, identityProviders.removeIdentityProviderPage)
adminRouter.post(`${IDENTITY_PROVIDER}remove/`, identityProviders.removeIdentityProvider)

answerOtherMethods(adminRouter, html)
answerNotFound(adminRouter, html, PATHS)
