/**
 * @module
 * App assembly: routers mounted in one place, the API documentation, one error handler; the cron cleanup.
 */
import { OpenAPIHono } from '@hono/zod-openapi'
import { accountsRouter } from './accounts/index.ts'
import { apiRouter, apiTokenAuthRouter } from './api/index.ts'
import { getDb } from './db/client.ts'
import { mountDocs } from './docs/openapi.ts'
import { apiBodyLimit, oauthBodyLimit } from './lib/body-limit.ts'
import { handleError } from './lib/errors.ts'
import { d1Bookmark } from './lib/request-context.ts'
import { oauthRouter } from './oauth/index.ts'
import { managementRouter } from './oauth/management.ts'
import { oidcRouter } from './oauth/oidc/index.ts'
import { clearExpiredTokens } from './tokens/cleanup.ts'
import type { AppEnv } from './types.ts'

export const app = new OpenAPIHono<AppEnv>()

app.use('/api/*', d1Bookmark())
app.use('/o/*', d1Bookmark())
app.get('/healthz', (c) => c.text('ok'))
app.use('/o/*', oauthBodyLimit())
app.use('/api/*', apiBodyLimit())
app.use('/api-token-auth/*', apiBodyLimit())
app.route('/', oauthRouter)
app.route('/', oidcRouter)
app.route('/', managementRouter)
app.route('/', apiTokenAuthRouter)
app.route('/api', apiRouter)
app.route('/accounts', accountsRouter)
mountDocs(app)

app.notFound((c) => c.json(c.req.path.startsWith('/o/') ? { error: 'not_found' } : { detail: 'Not found.' }, 404))
app.onError(handleError)

/** Cron trigger (wrangler.toml [triggers]): one bounded cleanup run of expired tokens and codes. */
async function scheduled(_controller: ScheduledController, env: Env): Promise<void> {
  const report = await clearExpiredTokens(getDb(env.DB))
  console.log('cleartokens', JSON.stringify(report))
}

export default { fetch: app.fetch, scheduled } satisfies ExportedHandler<Env>
