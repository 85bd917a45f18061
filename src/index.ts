/**
 * @module
 * App assembly: routers mounted in one place, one error handler.
 */
import { OpenAPIHono } from '@hono/zod-openapi'
import { accountsRouter } from './accounts/index.ts'
import { apiRouter } from './api/index.ts'
import { handleError } from './lib/errors.ts'
import { oauthRouter } from './oauth/index.ts'
import { managementRouter } from './oauth/management.ts'
import type { AppEnv } from './types.ts'

const app = new OpenAPIHono<AppEnv>()

app.get('/healthz', (c) => c.text('ok'))
app.route('/', oauthRouter)
app.route('/', managementRouter)
app.route('/api', apiRouter)
app.route('/accounts', accountsRouter)

app.notFound((c) => c.json(c.req.path.startsWith('/o/') ? { error: 'not_found' } : { detail: 'Not found.' }, 404))
app.onError(handleError)

export default app
