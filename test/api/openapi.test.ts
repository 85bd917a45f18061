import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { getConfig } from '../../src/config.ts'
import { app } from '../../src/index.ts'
import { ISSUER_PATH_FORMS } from '../../src/oauth/metadata.ts'
import { SITE_PATHS } from '../../src/web/kit/paths.ts'
import { STYLESHEET_PATH } from '../../src/web/kit/stylesheet.ts'
import { api, passwordToken } from '../helpers.ts'

// The documentation's own URLs, as the README lists them.
const OPENAPI_PATH = '/openapi.json'
const DOCS_PATH = '/docs'
const DOCS_INIT_PATH = '/docs/swagger-init.js'

type Operation = {
  responses?: Record<string, unknown>
  security?: Record<string, string[]>[]
  parameters?: { name?: string; in?: string; example?: unknown; schema?: { example?: unknown } }[]
}
type Document = {
  openapi: string
  info: { title: string; version: string }
  servers: { url: string }[]
  paths: Record<string, Record<string, Operation>>
  components: { schemas?: Record<string, unknown>; securitySchemes: Record<string, Record<string, unknown>> }
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']
// Served by the app but not API endpoints: the documentation itself and the health check.
// DOT's own spelling of the revocation endpoint is served but hidden from the document; the
// browser pages (login, logout, consent) answer HTML to people, not JSON to API clients.
const UNDOCUMENTED = new Set([
  OPENAPI_PATH,
  DOCS_PATH,
  DOCS_INIT_PATH,
  '/healthz',
  '/o/revoke_token/',
  '/o/authorize/',
  '/o/device/',
  '/o/logout/',
  '/accounts/login/',
  '/accounts/logout/',
  '/',
  STYLESHEET_PATH,
  SITE_PATHS.favicon,
  '/o/applications/register/',
  '/o/applications/:id/update/',
  '/o/applications/:id/delete/',
  '/o/authorized-tokens/:id/delete/',
  // The discovery documents again, where an issuer with a path (DOT's `<origin>/o`) has them.
  ...Object.values(ISSUER_PATH_FORMS),
])
// The user pages on paths the management API shares (content negotiation): their methods the API has not.
const UNDOCUMENTED_PAGES = new Set([
  'GET /o/applications/:id/rotate-secret/',
  'GET /o/applications/*',
  'GET /o/authorized-tokens/*',
])

async function document(): Promise<Document> {
  const response = await api(OPENAPI_PATH)
  expect(response.status).toBe(200)
  return response.json<Document>()
}

function refs(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) for (const item of value) refs(item, found)
  else if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (key === '$ref' && typeof item === 'string') found.push(item)
      else refs(item, found)
    }
  }
  return found
}

describe('GET /openapi.json', () => {
  it('is an OpenAPI 3.1 document: info, paths whose operations all have responses, resolvable $refs', async () => {
    const doc = await document()
    expect(doc.openapi).toBe('3.1.0')
    expect(doc.info.title).toBeTruthy()
    expect(doc.info.version).toBeTruthy()
    expect(doc.servers).toEqual([{ url: 'https://example.com' }])
    for (const [path, item] of Object.entries(doc.paths)) {
      expect(path.startsWith('/')).toBe(true)
      for (const [method, operation] of Object.entries(item)) {
        expect(METHODS, `${method} ${path}`).toContain(method)
        expect(Object.keys(operation.responses ?? {}).length, `${method} ${path}`).toBeGreaterThan(0)
        for (const key of Object.keys(operation.responses ?? {})) expect(key).toMatch(/^([1-5]\d\d|default)$/)
        for (const parameter of operation.parameters ?? []) {
          expect(parameter.name).toBeTruthy()
          expect(['query', 'header', 'path', 'cookie']).toContain(parameter.in)
        }
      }
    }
    for (const ref of refs(doc)) {
      const match = /^#\/components\/(schemas|securitySchemes)\/(.+)$/.exec(ref)
      expect(match, ref).not.toBeNull()
      const [, kind, name] = match ?? []
      expect(doc.components[kind as 'schemas']?.[name], ref).toBeDefined()
    }
  })

  it('every route the app registers is documented', async () => {
    const doc = await document()
    // The operator console (/admin/…) is browser pages, not an API.
    const routes = app.routes.filter(
      (route) =>
        route.method !== 'ALL' &&
        !UNDOCUMENTED.has(route.path) &&
        !UNDOCUMENTED_PAGES.has(`${route.method} ${route.path}`) &&
        !route.path.startsWith('/admin'),
    )
    expect(routes.length).toBeGreaterThanOrEqual(6)
    for (const route of routes) {
      const path = route.path.replaceAll(/:(\w+)/g, '{$1}')
      expect(doc.paths[path]?.[route.method.toLowerCase()], `${route.method} ${route.path}`).toBeDefined()
    }
    for (const path of ['/o/token/', '/api/hello', '/api/users/', '/api/build-trigger/', '/api-token-auth/']) {
      expect(doc.paths[path], path).toBeDefined()
    }
  })

  it('offers the OAuth2 password flow against /o/token/ with the configured scopes, Bearer and the Token key', async () => {
    const doc = await document()
    const schemes = doc.components.securitySchemes
    const scopes = getConfig(env).scopes
    expect(schemes.oauth2).toMatchObject({ type: 'oauth2', flows: { password: { tokenUrl: '/o/token/', scopes } } })
    expect(schemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' })
    expect(schemes.tokenKey).toMatchObject({ type: 'apiKey', in: 'header', name: 'Authorization' })
    for (const item of Object.values(doc.paths)) {
      for (const operation of Object.values(item)) {
        for (const requirement of operation.security ?? []) {
          for (const name of Object.keys(requirement)) expect(schemes[name], name).toBeDefined()
        }
      }
    }
    const users = doc.paths['/api/users/'].get.security?.flatMap((requirement) => Object.keys(requirement))
    expect(users).toEqual(['oauth2', 'bearer', 'tokenKey'])
  })

  it('"Try it out" with the documented query examples succeeds on a site with a single user', async () => {
    const doc = await document()
    const { token } = await passwordToken('read')
    for (const [path, item] of Object.entries(doc.paths)) {
      if (!path.startsWith('/api/') || !item.get) continue
      const query = new URLSearchParams()
      for (const parameter of item.get.parameters ?? []) {
        const example = parameter.example ?? parameter.schema?.example
        if (parameter.in === 'query' && parameter.name && example !== undefined)
          query.set(parameter.name, String(example))
      }
      const response = await api(`${path}?${query}`, { authorization: `Bearer ${token}` })
      expect(response.status, `GET ${path}?${query}`).toBe(200)
    }
  })

  it('documents bodies and the DRF error shapes', async () => {
    const doc = (await document()) as unknown as {
      paths: Record<string, Record<string, { requestBody?: { content: Record<string, unknown> } }>>
      components: { schemas: Record<string, unknown> }
    }
    const create = doc.paths['/api/users/'].post
    expect(Object.keys(create.requestBody?.content ?? {})).toEqual([
      'application/json',
      'application/x-www-form-urlencoded',
      'multipart/form-data',
    ])
    for (const name of ['Detail', 'FieldErrors', 'User', 'PaginatedUserList', 'NewUser', 'OAuthError']) {
      expect(doc.components.schemas[name], name).toBeDefined()
    }
  })
})

describe('GET /docs', () => {
  it('serves Swagger UI pointed at /openapi.json, without keeping authorizations (test/hardening/docs-page.test.ts)', async () => {
    const response = await api(DOCS_PATH)
    expect(response.status).toBe(200)
    expect(response.headers.get('Content-Type')).toMatch(/^text\/html/)
    expect(await response.text()).toContain(`<script src="${DOCS_INIT_PATH}"></script>`)
    const init = await api(DOCS_INIT_PATH)
    expect(init.status).toBe(200)
    const script = await init.text()
    expect(script).toContain('SwaggerUIBundle')
    expect(script).toContain(`url: '${OPENAPI_PATH}'`)
    expect(script).toContain('persistAuthorization: false')
  })
})
