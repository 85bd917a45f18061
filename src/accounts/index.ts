/**
 * @module
 * The browser pages under /accounts/.
 */
import { Hono } from 'hono'
import { pageMiddleware } from '../lib/pages.tsx'
import type { AppEnv } from '../types.ts'
import { login, loginPage, logout, logoutPage } from './accounts.handlers.tsx'

export const accountsRouter = new Hono<AppEnv>()

accountsRouter.use('*', ...pageMiddleware)
accountsRouter.get('/login/', loginPage)
accountsRouter.post('/login/', login)
accountsRouter.get('/logout/', logoutPage)
accountsRouter.post('/logout/', logout)
