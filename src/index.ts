/**
 * @module
 * App assembly: routers mounted in one place (each answers errors in its own dialect,
 * src/http/; the browser's pages are src/web/'s), the API documentation, a last-resort error
 * handler; the cron cleanup.
 */
import { OpenAPIHono } from '@hono/zod-openapi'
import type { ErrorHandler, MiddlewareHandler } from 'hono'
import { apiRouter, obtainApiKeyRouter } from './api/index.ts'
import { checkSettings, SettingsError } from './config.ts'
import { getDb } from './db/client.ts'
import { createDocsRouter } from './docs/openapi.ts'
import { drf } from './http/drf.ts'
import { oauth } from './http/oauth.ts'
import { d1Bookmark } from './lib/request-context.ts'
import { mcpRouter } from './mcp/index.ts'
import { oauthRouter } from './oauth/index.ts'
import { managementRouter } from './oauth/management.ts'
import { oidcRouter } from './oauth/oidc/index.ts'
import { deleteUnusedRegistrations } from './oauth/registration.ts'
import { clearExpiredTokens } from './tokens/cleanup.ts'
import { standaloneShards } from './tokens/shards.ts'
import type { AppEnv } from './types.ts'
import {
  accountsRouter,
  adminRouter,
  applicationPagesRouter,
  authorizedTokenPagesRouter,
  authorizeRouter,
  deviceRouter,
  rpLogoutRouter,
  siteRouter,
} from './web/index.ts'

export const app = new OpenAPIHono<AppEnv>()

// A missing or wrong setting stops the Worker: every request, /healthz too, gets a 500 that names
// the setting (never its value), and the log says what is wrong with it.
const settingsChecked: MiddlewareHandler<AppEnv> = async (c, next) => {
  try {
    checkSettings(c.env)
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error
    console.error(error.message)
    return c.text(
      `Server misconfigured: invalid setting ${error.settings.join(', ')} (the Worker's log says why).`,
      500,
    )
  }
  await next()
}

app.use(settingsChecked)
app.use('/api/*', d1Bookmark())
app.use('/o/*', d1Bookmark())
app.get('/healthz', (c) => c.text('ok'))
app.route('/', oauthRouter)
app.route('/', authorizeRouter)
app.route('/', deviceRouter)
app.route('/', oidcRouter)
app.route('/', rpLogoutRouter)
// The pages first: on the paths they share with the management API, they pass on what is not theirs.
app.route('/', applicationPagesRouter)
app.route('/', authorizedTokenPagesRouter)
app.route('/', managementRouter)
app.route('/', obtainApiKeyRouter)
app.route('/api', apiRouter)
app.route('/', mcpRouter)
app.route('/', accountsRouter)
app.route('/', adminRouter)
app.route('/', createDocsRouter(app))
app.route('/', siteRouter)

// No router claimed the path: the one place the path chooses the dialect.
app.notFound((c) => (c.req.path.startsWith('/o/') ? oauth : drf).notFound(c))
// Only what no router owns reaches here (the app's own middleware); routers answer their errors themselves.
const lastResort: ErrorHandler<AppEnv> = (error, c) => {
  console.error('unhandled error outside any router', error)
  return c.text('Internal Server Error', 500)
}
app.onError(lastResort)

/**
 * Cron trigger (wrangler.toml [triggers]): one bounded cleanup run of expired tokens and codes in
 * the main database and every token shard, and of unused registered clients.
 */
async function scheduled(_controller: ScheduledController, env: Env): Promise<void> {
  const config = checkSettings(env)
  const report = await clearExpiredTokens(standaloneShards(env).all())
  const unusedRegistrations = await deleteUnusedRegistrations(getDb(env.DB), config)
  console.log('cleartokens', JSON.stringify({ ...report, unusedRegistrations }))
}

/**
 * The resource API's lane: `/api/` requests, the hot path, are matched against the API's own
 * routes, the same router and middleware as in `app`. The app's ~300 routes need Hono's trie
 * router (the RegExpRouter cannot hold a parameter beside a literal, as DOT's
 * `/o/applications/register/` beside `/o/applications/<pk>/`), whose search over all of them was
 * ~15% of a cached `/api/hello`'s CPU. `app` keeps the API too: the OpenAPI document and
 * `app.request` see one app. test/platform/api-lane.test.ts holds the two to the same routes.
 */
export const apiLane = new OpenAPIHono<AppEnv>()
apiLane.use(settingsChecked)
apiLane.use('/api/*', d1Bookmark())
apiLane.route('/api', apiRouter)
apiLane.notFound((c) => drf.notFound(c))
apiLane.onError(lastResort)

/** Whether a request URL's path starts with `/api/`, read without parsing the URL. */
export function onApiLane(url: string): boolean {
  return url.startsWith('/api/', url.indexOf('/', url.indexOf('//') + 2))
}

export default {
  fetch: (request: Request, env: Env, ctx: ExecutionContext) =>
    (onApiLane(request.url) ? apiLane : app).fetch(request, env, ctx),
  scheduled,
} satisfies ExportedHandler<Env>
