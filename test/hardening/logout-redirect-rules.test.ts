/**
 * Defence in depth: /o/logout/ refuses to send the browser to a registered
 * post_logout_redirect_uri that fails the rules (rows stored before the CLI checked them).
 */
import { describe, expect, it } from 'vitest'
import { getPage, login, makeApplication, makeUser, postForm } from '../helpers.ts'

const logoutUrl = (params: Record<string, string>) => `/o/logout/?${new URLSearchParams(params)}`

describe('/o/logout/ follows only post-logout URIs that pass the rules', () => {
  for (const uri of ['javascript:alert(document.cookie)', 'http://rp.example/bye', 'https://rp.example/b\\ye']) {
    it(`OIDC RP-Initiated Logout §3: a registered ${JSON.stringify(uri)} is not followed`, async () => {
      // Stored straight through the domain layer, as the old CLI did, bypassing the rules.
      const app = await makeApplication({ postLogoutRedirectUris: [uri] })
      const params = { client_id: app.clientId, post_logout_redirect_uri: uri }
      const anonymous = await getPage(logoutUrl(params))
      expect(anonymous.headers.get('Location')).toBeNull()
      expect(anonymous.status).toBe(400)
      const user = await makeUser()
      const cookie = await login(user)
      const confirmed = await postForm('/o/logout/', { ...params, confirm: 'yes' }, { Cookie: cookie })
      expect(confirmed.headers.get('Location')).toBeNull()
      expect(confirmed.status).toBe(400)
    })
  }
})
