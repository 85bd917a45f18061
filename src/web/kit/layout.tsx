/**
 * @module
 * The HTML shell of every server-rendered page: the site's header (its name, the nav), the
 * page's title as <h1>, the page, a footer. No script, no inline style: the one stylesheet is
 * linked (./stylesheet.ts, served at its hashed STYLESHEET_PATH).
 *
 * Use: `<Layout title="Users">…</Layout>`, rendered with `renderPage(c, …)` (./page.tsx),
 * which provides the site's name (SITE_NAME) and who is logged in (the session the handler read)
 * to the header through `SiteContext`. Props:
 * - `title` (required): the <h1>, and the <title> before the site name (alone when it is the site's name);
 * - `children`: the page;
 * - `wide`: a 60rem column instead of 34rem, for tables (lists, the console);
 * - `nav`: a section's own navigation, under the title (the console's).
 * The classes the pages use are listed in ./stylesheet.ts.
 */
import { type Child, createContext, useContext } from 'hono/jsx'
import { SITE_PATHS } from './paths.ts'
import { STYLESHEET_PATH } from './stylesheet.ts'

/** The logged-in user as the header shows them. */
export type Viewer = { username: string; isStaff: boolean }

/** What every page's header needs: the site's name and the logged-in user (null: nobody, or not known). */
export type Site = { name: string; viewer: Viewer | null }

/** Provided by renderPage; the default serves a page rendered without it (the name is then generic). */
export const SiteContext = createContext<Site>({ name: 'Edge OAuth Toolkit', viewer: null })

function Nav(props: { viewer: Viewer | null }) {
  const { viewer } = props
  return (
    <nav class="site-nav" aria-label="Site">
      <a href={SITE_PATHS.home}>Home</a>
      <a href={SITE_PATHS.applications}>My applications</a>
      <a href={SITE_PATHS.authorizedApps}>Authorized apps</a>
      <a href={SITE_PATHS.docs}>Docs</a>
      {viewer?.isStaff ? <a href={SITE_PATHS.console}>Console</a> : null}
      {viewer ? (
        <>
          <span class="who">{viewer.username}</span>
          {/* Logging out changes state: a POST (same-origin), never a link. */}
          <form method="post" action={SITE_PATHS.logout}>
            <button type="submit" class="link-button">
              Log out
            </button>
          </form>
        </>
      ) : (
        <a href={SITE_PATHS.login}>Log in</a>
      )}
    </nav>
  )
}

export function Layout(props: { title: string; children?: Child; wide?: boolean; nav?: Child }) {
  const site = useContext(SiteContext)
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <title>{props.title === site.name ? site.name : `${props.title} · ${site.name}`}</title>
        <link rel="icon" href={SITE_PATHS.favicon} sizes="32x32" />
        <link rel="stylesheet" href={STYLESHEET_PATH} />
      </head>
      <body>
        <header class="site-header">
          <div class="bar">
            <a class="site-name" href={SITE_PATHS.home}>
              {site.name}
            </a>
            <Nav viewer={site.viewer} />
          </div>
        </header>
        <main class={props.wide ? 'wide' : undefined}>
          <h1>{props.title}</h1>
          {props.nav}
          {props.children}
        </main>
        <footer class="site-footer">{site.name}</footer>
      </body>
    </html>
  )
}
