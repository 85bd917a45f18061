/**
 * @module
 * App assembly: routers mounted in one place, the API documentation, one error handler.
 */
import { OpenAPIHono } from '@hono/zod-openapi'
import { apiRouter, apiTokenAuthRouter } from './api/index.ts'
import { mountDocs } from './docs/openapi.ts'
import { apiBodyLimit, oauthBodyLimit } from './lib/body-limit.ts'
import { handleError } from './lib/errors.ts'
import { oauthRouter } from './oauth/index.ts'
import { oidcRouter } from './oauth/oidc/index.ts'
import type { AppEnv } from './types.ts'

const app = new OpenAPIHono<AppEnv>()

app.get('/healthz', (c) => c.text('ok'))
app.use('/o/*', oauthBodyLimit())
app.use('/api/*', apiBodyLimit())
app.use('/api-token-auth/*', apiBodyLimit())
app.route('/', oauthRouter)
app.route('/', oidcRouter)
app.route('/', apiTokenAuthRouter)
app.route('/api', apiRouter)
mountDocs(app)

app.notFound((c) => c.json(c.req.path.startsWith('/o/') ? { error: 'not_found' } : { detail: 'Not found.' }, 404))
app.onError(handleError)

export default app
