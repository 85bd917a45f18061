/**
 * @module
 * The browser pages under /accounts/ (HTML dialect).
 */
import { createHtmlRouter, csrfProtection, html } from '../http/html.tsx'
import { answerNotFound, answerOtherMethods } from '../http/router.ts'
import { login, loginPage, logout, logoutPage } from './accounts.handlers.tsx'

// Mounted at /accounts: `*` is its own paths only.
export const accountsRouter = createHtmlRouter(['*'])

accountsRouter.use('*', csrfProtection)
accountsRouter.get('/login/', loginPage)
accountsRouter.post('/login/', login)
accountsRouter.get('/logout/', logoutPage)
accountsRouter.post('/logout/', logout)
answerOtherMethods(accountsRouter, html)
answerNotFound(accountsRouter, html, ['*'])
