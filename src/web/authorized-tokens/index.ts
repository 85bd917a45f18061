/**
 * @module
 * DOT's authorized-token pages for the logged-in user, at DOT's paths (HTML dialect):
 *   /o/authorized-tokens/                 authorized apps (GET, negotiated)
 *   /o/authorized-tokens/<id>/delete/     confirm, revoke (GET, POST)
 * The list's path is shared with the management JSON API, mounted after this router: only a
 * request that prefers HTML gets the page (src/web/kit/negotiated.ts).
 */
import { answerOtherMethods } from '../../http/router.ts'
import { createHtmlRouter, html } from '../kit/dialect.tsx'
import { negotiated } from '../kit/negotiated.ts'
import { notFound } from '../kit/page.tsx'
import { type PageEnv, requireSession } from '../kit/session.ts'
import * as handlers from './handlers.tsx'

const DELETE_PATH = '/o/authorized-tokens/:id/delete/'

export const authorizedTokenPagesRouter = createHtmlRouter<PageEnv>([DELETE_PATH])

authorizedTokenPagesRouter.use(DELETE_PATH, requireSession())
authorizedTokenPagesRouter.get(DELETE_PATH, handlers.revokeTokenForm)
authorizedTokenPagesRouter.post(DELETE_PATH, handlers.revokeToken)
// Before the shared routes below: their 405s must not answer for the JSON API.
answerOtherMethods(authorizedTokenPagesRouter, html)

authorizedTokenPagesRouter.get('/o/authorized-tokens/', negotiated(requireSession(), handlers.listTokens))
// A page asked for under this path that no route above serves: the HTML 404, not the API's.
authorizedTokenPagesRouter.get(
  '/o/authorized-tokens/*',
  negotiated(requireSession(), async (c) => notFound(c)),
)
