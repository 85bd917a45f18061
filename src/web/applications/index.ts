/**
 * @module
 * DOT's application pages for the logged-in user, at DOT's paths (HTML dialect):
 *   /o/applications/                      list            (GET, negotiated)
 *   /o/applications/register/             register form   (GET, POST)
 *   /o/applications/<id>/                 detail          (GET, negotiated; the new secret once)
 *   /o/applications/<id>/update/          edit form       (GET, POST)
 *   /o/applications/<id>/delete/          confirm, delete (GET, POST)
 *   /o/applications/<id>/rotate-secret/   confirm, rotate (GET; POST negotiated)
 * A "negotiated" route is shared with the management JSON API (src/oauth/management.ts, DRF
 * dialect), mounted after this router: only a request that prefers HTML gets the page
 * (src/web/kit/negotiated.ts). Every page is behind requireSession: logged out, the login page,
 * back here after; an unsafe request from another origin, a 403 page.
 */
import { answerOtherMethods } from '../../http/router.ts'
import { createHtmlRouter, html } from '../kit/dialect.tsx'
import { negotiated } from '../kit/negotiated.ts'
import { notFound } from '../kit/page.tsx'
import { type PageEnv, requireSession } from '../kit/session.ts'
import * as handlers from './handlers.tsx'

// Paths only pages use: every request to them is this router's.
const PAGE_PATHS = ['/o/applications/register/', '/o/applications/:id/update/', '/o/applications/:id/delete/'] as const

export const applicationPagesRouter = createHtmlRouter<PageEnv>(PAGE_PATHS)

for (const path of PAGE_PATHS) applicationPagesRouter.use(path, requireSession())
applicationPagesRouter.get('/o/applications/register/', handlers.registerForm)
applicationPagesRouter.post('/o/applications/register/', handlers.register)
applicationPagesRouter.get('/o/applications/:id/update/', handlers.updateForm)
applicationPagesRouter.post('/o/applications/:id/update/', handlers.update)
applicationPagesRouter.get('/o/applications/:id/delete/', handlers.deleteForm)
applicationPagesRouter.post('/o/applications/:id/delete/', handlers.deleteApplication)
// Before the shared routes below: their 405s must not answer for the JSON API.
answerOtherMethods(applicationPagesRouter, html)

applicationPagesRouter.get('/o/applications/', negotiated(requireSession(), handlers.listApplications))
applicationPagesRouter.get('/o/applications/:id/', negotiated(requireSession(), handlers.applicationDetail))
applicationPagesRouter.get(
  '/o/applications/:id/rotate-secret/',
  negotiated(requireSession(), handlers.rotateSecretForm),
)
applicationPagesRouter.post('/o/applications/:id/rotate-secret/', negotiated(requireSession(), handlers.rotateSecret))
// A page asked for under this path that no route above serves: the HTML 404, not the API's.
applicationPagesRouter.get(
  '/o/applications/*',
  negotiated(requireSession(), async (c) => notFound(c)),
)
