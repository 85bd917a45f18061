/**
 * @module
 * Where the site's pages are: the header's links, the login page every guard sends a visitor to.
 * Each page's router mounts its own path from here, so a path is written once.
 */
export const SITE_PATHS = {
  home: '/',
  applications: '/o/applications/',
  authorizedApps: '/o/authorized-tokens/',
  docs: '/docs',
  login: '/accounts/login/',
  logout: '/accounts/logout/',
  console: '/admin/',
  favicon: '/favicon.ico',
} as const
