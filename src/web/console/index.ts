/**
 * @module
 * The operator console router (/admin/, HTML dialect): staff sessions only (./guard.tsx), the
 * origin check on every POST, every state change a POST, destructive ones behind a
 * confirmation page.
 */
import { createHtmlRouter, csrfProtection, html } from '../http/html.tsx'
import { answerNotFound, answerOtherMethods } from '../http/router.ts'
import type { StaffEnv } from '../types.ts'
import { createKey, revokeKey } from './api-keys.tsx'
import * as applications from './applications.tsx'
import { staffOnly } from './guard.tsx'
import { auditLogPage, consoleHome } from './log.tsx'
import { revokeAll, revokeAllPage, revokeOne } from './tokens.tsx'
import * as users from './users.tsx'

const PATHS = ['/admin', '/admin/*']
const USER = '/admin/users/:id{[0-9]+}/'
const APPLICATION = '/admin/applications/:id{[0-9]+}/'

export const adminRouter = createHtmlRouter<StaffEnv>(PATHS)

for (const path of PATHS) adminRouter.use(path, csrfProtection, staffOnly())
adminRouter.get('/admin', (c) => c.redirect('/admin/', 301))
adminRouter.get('/admin/', consoleHome)
adminRouter.get('/admin/log/', auditLogPage)

adminRouter.get('/admin/users/', users.userList)
adminRouter.get('/admin/users/add/', users.addUserPage)
adminRouter.post('/admin/users/add/', users.addUser)
adminRouter.get(USER, users.userDetail)
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

adminRouter.get('/admin/applications/', applications.applicationList)
adminRouter.get('/admin/applications/add/', applications.addApplicationPage)
adminRouter.post('/admin/applications/add/', applications.addApplication)
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

answerOtherMethods(adminRouter, html)
answerNotFound(adminRouter, html, PATHS)
