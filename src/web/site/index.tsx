/**
 * @module
 * The site's own pages (HTML dialect): the landing page at `/` and the pages' stylesheet at
 * its hashed path (src/views/stylesheet.ts), cached for a year since a new version has a new URL.
 */
import { readSession } from '../accounts/session.ts'
import { siteName } from '../config.ts'
import { createHtmlRouter, html, renderPage } from '../http/html.tsx'
import { answerNotFound, answerOtherMethods } from '../http/router.ts'
import { NO_STORE_HEADERS } from '../http/semantics.ts'
import { HomePage } from '../views/home.tsx'
import { STYLESHEET_CSS, STYLESHEET_PATH } from '../views/stylesheet.ts'

const PATHS = ['/', '/static/*']

export const siteRouter = createHtmlRouter(PATHS)

siteRouter.get('/', async (c) => {
  const user = (await readSession(c))?.user
  const viewer = user ? { username: user.username, isStaff: user.isStaff } : null
  return renderPage(c, <HomePage siteName={siteName(c.env)} viewer={viewer} />, 200, NO_STORE_HEADERS)
})

siteRouter.get(STYLESHEET_PATH, (c) =>
  c.body(STYLESHEET_CSS, 200, {
    'Content-Type': 'text/css; charset=utf-8',
    'Cache-Control': 'public, max-age=31536000, immutable',
  }),
)

answerOtherMethods(siteRouter, html)
answerNotFound(siteRouter, html, ['/static/*'])
