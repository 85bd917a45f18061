/**
 * @module
 * The site's own pages (HTML dialect): the landing page at `/`, the pages' stylesheet at its
 * hashed path (src/web/kit/stylesheet.ts), cached for a year since a new version has a new URL,
 * and the site's icon (./favicon.ts).
 */
import { readSession } from '../../accounts/session.ts'
import { siteName } from '../../config.ts'
import { answerNotFound, answerOtherMethods } from '../../http/router.ts'
import { createHtmlRouter, html } from '../kit/dialect.tsx'
import { renderPrivatePage } from '../kit/page.tsx'
import { SITE_PATHS } from '../kit/paths.ts'
import { STYLESHEET_CSS, STYLESHEET_PATH } from '../kit/stylesheet.ts'
import { FAVICON, FAVICON_HEADERS } from './favicon.ts'
import { HomePage } from './home.tsx'

const PATHS = [SITE_PATHS.home, '/static/*', SITE_PATHS.favicon]

export const siteRouter = createHtmlRouter(PATHS)

siteRouter.get(SITE_PATHS.home, async (c) => {
  const user = (await readSession(c))?.user
  const viewer = user ? { username: user.username, isStaff: user.isStaff } : null
  return renderPrivatePage(c, <HomePage siteName={siteName(c.env)} viewer={viewer} />)
})

siteRouter.get(STYLESHEET_PATH, (c) =>
  c.body(STYLESHEET_CSS, 200, {
    'Content-Type': 'text/css; charset=utf-8',
    'Cache-Control': 'public, max-age=31536000, immutable',
  }),
)

siteRouter.get(SITE_PATHS.favicon, (c) => c.body(FAVICON, 200, FAVICON_HEADERS))

answerOtherMethods(siteRouter, html)
answerNotFound(siteRouter, html, ['/static/*'])
