/**
 * The MCP endpoint (/mcp) over HTTP, as an MCP client of the revisions with an `initialize`
 * handshake sees it (2025-11-25 and 2025-06-18): the Streamable HTTP transport's rules (MCP
 * 2025-11-25, Basic › Transports), JSON-RPC 2.0 answers and errors, and its protection by this
 * server's tokens with RFC 6750 / RFC 9728 §5.1 challenges. The same endpoint's 2026-07-28 rules
 * are in mcp-endpoint-2026.test.ts.
 */
import { env, SELF } from 'cloudflare:test'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createJsonRpcRouter } from '../../src/http/jsonrpc.ts'
import { issueApiKey } from '../../src/tokens/api-keys.ts'
import { ALGS } from '../dpop.ts'
import {
  api,
  fetchWithSettings,
  form,
  login,
  makeApplication,
  makeUser,
  ORIGIN,
  postToken,
  testStore,
} from '../helpers.ts'
import { faultyD1, fetchWith } from '../platform/faults.ts'
import {
  bearerParams,
  ENDPOINT,
  expectInsufficientScope,
  expectRpcError,
  MCP_METADATA,
  mcp,
  mcpRequest,
  mcpToken,
  rpcAnswer,
  STREAMABLE_ACCEPT,
} from './mcp.ts'

function rpc(token: string, method: string, params?: Record<string, unknown>, id: string | number = 1) {
  return mcp({ token, body: JSON.stringify({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) }) })
}

let readToken: Promise<string> | undefined
/** One token with `read` for the tests that only need a caller. */
function token() {
  readToken ??= mcpToken('read')
  return readToken
}

const INITIALIZE = {
  protocolVersion: '2025-11-25',
  capabilities: {},
  clientInfo: { name: 'test client', version: '1.0.0' },
}

describe('RFC 9728: the MCP endpoint is a protected resource of its own', () => {
  it('§3.1: /.well-known/oauth-protected-resource/mcp describes <issuer>/mcp and the scope its tools need', async () => {
    const response = await api(MCP_METADATA)
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({
      resource: `${ORIGIN}/mcp`,
      authorization_servers: [ORIGIN],
      scopes_supported: ['read'],
      bearer_methods_supported: ['header'],
      resource_name: 'MCP endpoint',
      resource_documentation: `${ORIGIN}/docs`,
      // RFC 9449 §5.1 (as RFC 9728 §2 registers them): /mcp takes DPoP-bound tokens too.
      dpop_signing_alg_values_supported: ALGS.split(' '),
      dpop_bound_access_tokens_required: false,
    })
  })

  it('§2 scopes_supported follows SCOPES: without `read` configured, it names none', async () => {
    const response = await fetchWithSettings(new Request(MCP_METADATA), {
      SCOPES: JSON.stringify({ write: 'Write' }),
      DEFAULT_SCOPES: 'write',
    })
    expect((await response.json<{ scopes_supported: string[] }>()).scopes_supported).toEqual([])
  })
})

describe('RFC 6750 §3 / RFC 9728 §5.1: refusals name the MCP resource metadata', () => {
  it('no token: 401 with a Bearer challenge naming the metadata and the scope to ask for, no error code', async () => {
    const response = await mcp({ body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }) })
    expect(bearerParams(response)).toEqual({ realm: 'mcp', scope: 'read', resource_metadata: MCP_METADATA })
    // Only Bearer: the DRF `Token` scheme is not offered here.
    expect(response.headers.get('WWW-Authenticate')).not.toContain('Token')
    await expectRpcError(response, 401, -32000)
  })

  it('§3.1 invalid_token: an unknown token', async () => {
    const response = await rpc('eat_unknown', 'ping')
    expect(bearerParams(response)).toEqual({ realm: 'mcp', error: 'invalid_token', resource_metadata: MCP_METADATA })
    await expectRpcError(response, 401, -32000)
  })

  it('§3.1 invalid_request: a Bearer header without a token is 400', async () => {
    const response = await mcp({ headers: { Authorization: 'Bearer' }, body: '{}' })
    expect(bearerParams(response)).toMatchObject({ error: 'invalid_request', resource_metadata: MCP_METADATA })
    await expectRpcError(response, 400, -32000)
  })

  it('a DRF Token key is refused, under its own scheme (no credentials) and sent as a Bearer token', async () => {
    const user = await makeUser()
    const { key } = await issueApiKey(testStore(), user.id)
    // The same key passes on the resource API.
    expect((await api('/api/hello', { authorization: `Token ${key}` })).status).toBe(200)
    const asToken = await mcp({ headers: { Authorization: `Token ${key}` }, body: '{}' })
    expect(asToken.status).toBe(401)
    expect(bearerParams(asToken)).toEqual({ realm: 'mcp', scope: 'read', resource_metadata: MCP_METADATA })
    const asBearer = await rpc(key, 'ping')
    expect(asBearer.status).toBe(401)
    expect(bearerParams(asBearer).error).toBe('invalid_token')
  })

  it('a browser session is not a credential here: 401', async () => {
    const cookie = await login(await makeUser())
    const response = await mcp({ headers: { Cookie: cookie }, body: '{}' })
    expect(response.status).toBe(401)
  })

  it('§3.1 insufficient_scope: tools need `read`; the 403 names it and the metadata', async () => {
    const writeOnly = await mcpToken('write')
    for (const method of ['tools/list', 'tools/call']) {
      const response = await rpc(writeOnly, method, method === 'tools/call' ? { name: 'hello' } : undefined)
      await expectInsufficientScope(response, 'read')
    }
    // The lifecycle needs no scope: the client can connect, then learn which scope its tools need.
    expect((await rpc(writeOnly, 'initialize', INITIALIZE)).status).toBe(200)
    expect((await rpc(writeOnly, 'ping')).status).toBe(200)
  })

  it('§3.1 insufficient_scope (MCP step-up): trigger_build needs `write`; the 403 names only the scope it needs', async () => {
    const response = await rpc(await token(), 'tools/call', { name: 'trigger_build' })
    await expectInsufficientScope(response, 'write')
    const body = await rpcAnswer(await rpc(await mcpToken('read write'), 'tools/call', { name: 'trigger_build' }, 4))
    expect(body).toEqual({
      jsonrpc: '2.0',
      id: 4,
      result: { content: [{ type: 'text', text: 'Build triggered.' }], isError: false },
    })
  })

  it('trigger_build needs a user, as /api/build-trigger/ does: a client_credentials token with `write` gets 403', async () => {
    const app = await makeApplication({ grantTypes: ['client-credentials'] })
    const issued = await postToken(
      form({
        grant_type: 'client_credentials',
        client_id: app.clientId,
        client_secret: app.clientSecret ?? '',
        scope: 'read write',
        resource: ENDPOINT,
      }),
    )
    const { access_token } = await issued.json<{ access_token: string }>()
    const response = await rpc(access_token, 'tools/call', { name: 'trigger_build' })
    // Not a scope the client could ask for: no challenge to step up with.
    expect(response.headers.get('WWW-Authenticate')).toBeNull()
    await expectRpcError(response, 403, -32000)
    expect((await rpc(access_token, 'tools/call', { name: 'hello' })).status).toBe(200)
  })

  it('a token sent in the query beside the header is refused (RFC 6750 §3.1: one method only)', async () => {
    const value = await token()
    const response = await SELF.fetch(
      new Request(`${ENDPOINT}?access_token=${value}`, {
        method: 'POST',
        headers: { Accept: STREAMABLE_ACCEPT, 'Content-Type': 'application/json', Authorization: `Bearer ${value}` },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
      }),
    )
    expect(response.status).toBe(400)
    expect(bearerParams(response).error).toBe('invalid_request')
  })
})

describe('MCP Streamable HTTP transport', () => {
  it('Origin: a cross-origin browser request is refused with 403 before anything else, even with a valid token', async () => {
    const value = await token()
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' })
    const withToken = await mcp({ token: value, headers: { Origin: 'https://evil.example' }, body })
    await expectRpcError(withToken, 403, -32000)
    // Without a token too: a page learns nothing about the endpoint's authentication.
    const withoutToken = await mcp({ headers: { Origin: 'https://evil.example' }, body })
    expect(withoutToken.status).toBe(403)
    expect(withoutToken.headers.get('WWW-Authenticate')).toBeNull()
    // This server's own origin, and no Origin at all (not a browser), pass.
    expect((await mcp({ token: value, headers: { Origin: ORIGIN }, body })).status).toBe(200)
    expect((await mcp({ token: value, body })).status).toBe(200)
  })

  it('Origin: a DNS-rebound host is refused: the Origin is compared with the issuer, not the Host', async () => {
    const value = await token()
    const rebound = new Request('https://attacker.example/mcp', {
      method: 'POST',
      headers: {
        Accept: STREAMABLE_ACCEPT,
        'Content-Type': 'application/json',
        Authorization: `Bearer ${value}`,
        Origin: 'https://attacker.example',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    })
    expect((await fetchWithSettings(rebound, {})).status).toBe(403)
    // Without ISSUER on a public host no Origin can be checked: all are refused.
    const unknownIssuer = await fetchWithSettings(
      mcpRequest({ token: value, headers: { Origin: ORIGIN }, body: '{}' }),
      {
        ISSUER: undefined,
      },
    )
    expect(unknownIssuer.status).toBe(403)
  })

  it('GET is 405 (no SSE stream is offered) and DELETE is 405 (no session to end), with Allow', async () => {
    const value = await token()
    for (const method of ['GET', 'DELETE']) {
      const response = await mcp({
        method,
        token: value,
        headers: { Accept: 'text/event-stream', 'Content-Type': '' },
      })
      expect(response.headers.get('Allow')).toBe('POST')
      await expectRpcError(response, 405, -32000)
    }
    // Without a token GET is challenged first, as every request to the endpoint is.
    expect((await mcp({ method: 'GET' })).status).toBe(401)
  })

  it('POST must Accept both application/json and text/event-stream: otherwise 406', async () => {
    const value = await token()
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' })
    for (const accept of ['application/json', 'text/event-stream', '*/*', 'application/json, text/event-stream;q=0']) {
      await expectRpcError(await mcp({ token: value, headers: { Accept: accept }, body }), 406, -32000)
    }
    const spaced = await mcp({ token: value, headers: { Accept: 'text/event-stream;q=0.5 , Application/JSON' }, body })
    expect(spaced.status).toBe(200)
  })

  it('POST must carry application/json: otherwise 415', async () => {
    const value = await token()
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' })
    await expectRpcError(await mcp({ token: value, headers: { 'Content-Type': 'text/plain' }, body }), 415, -32000)
    const charset = await mcp({ token: value, headers: { 'Content-Type': 'application/json; charset=utf-8' }, body })
    expect(charset.status).toBe(200)
  })

  it('MCP-Protocol-Version: a revision not spoken here is 400 UnsupportedProtocolVersion (-32022) listing those spoken; the spoken ones pass', async () => {
    const value = await token()
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' })
    for (const version of ['2024-11-05', '2025-03-26', 'nonsense']) {
      const response = await mcp({ token: value, headers: { 'MCP-Protocol-Version': version }, body })
      const error = await expectRpcError(response, 400, -32022, 1)
      expect(error?.message).toContain(version)
      // MCP 2026-07-28 Basic › Versioning: what a client may retry with, whichever era it speaks.
      expect(error?.data).toEqual({ supported: ['2026-07-28', '2025-11-25', '2025-06-18'], requested: version })
    }
    for (const version of ['2025-06-18', '2025-11-25']) {
      expect((await mcp({ token: value, headers: { 'MCP-Protocol-Version': version }, body })).status).toBe(200)
    }
  })

  it('a body over the limit is 413', async () => {
    const value = await token()
    const response = await mcp({ token: value, body: JSON.stringify({ padding: 'x'.repeat(70 * 1024) }) })
    await expectRpcError(response, 413, -32000)
  })
})

describe('JSON-RPC 2.0 messages', () => {
  it('initialize: the client version when spoken here, with serverInfo and the tools capability', async () => {
    const value = await token()
    for (const version of ['2025-11-25', '2025-06-18']) {
      const response = await rpc(value, 'initialize', { ...INITIALIZE, protocolVersion: version }, 'init')
      expect(response.status).toBe(200)
      expect(response.headers.get('Cache-Control')).toBe('no-store')
      // Stateless: no session.
      expect(response.headers.get('Mcp-Session-Id')).toBeNull()
      const body = await rpcAnswer(response)
      expect(body).toEqual({
        jsonrpc: '2.0',
        id: 'init',
        result: {
          protocolVersion: version,
          capabilities: { tools: {} },
          serverInfo: { name: 'edge-oauth-toolkit', title: 'Edge OAuth Toolkit', version: '0.1.0' },
        },
      })
    }
  })

  it('initialize: a version not spoken here is answered with the newest one spoken here', async () => {
    const response = await rpc(await token(), 'initialize', { ...INITIALIZE, protocolVersion: '2024-11-05' })
    expect((await rpcAnswer(response)).result?.protocolVersion).toBe('2025-11-25')
  })

  it('notifications and responses are accepted with 202 and no body', async () => {
    const value = await token()
    for (const message of [
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1 } },
      { jsonrpc: '2.0', id: 7, result: {} },
      { jsonrpc: '2.0', id: 7, error: { code: -32601, message: 'Method not found' } },
    ]) {
      const response = await mcp({ token: value, body: JSON.stringify(message) })
      expect(response.status).toBe(202)
      expect(await response.text()).toBe('')
    }
  })

  it('ping answers an empty result with the request id', async () => {
    const body = await rpcAnswer(await rpc(await token(), 'ping', undefined, 'ping-1'))
    expect(body).toEqual({ jsonrpc: '2.0', id: 'ping-1', result: {} })
  })

  it('tools/list: hello and trigger_build, in that order, whose inputs are empty objects', async () => {
    const body = await rpcAnswer(await rpc(await token(), 'tools/list', undefined, 2))
    expect(body.id).toBe(2)
    const tools = body.result?.tools as { name: string; inputSchema: Record<string, unknown> }[]
    expect(tools.map((tool) => tool.name)).toEqual(['hello', 'trigger_build'])
    for (const tool of tools) {
      expect(tool.inputSchema).toEqual({ type: 'object', properties: {}, additionalProperties: false })
    }
    // The 2025 revisions' results: no 2026-07-28 fields.
    expect(body.result).not.toHaveProperty('resultType')
    expect(body.result).not.toHaveProperty('ttlMs')
  })

  it('tools/call hello answers "Hello, OAuth2!" as /api/hello does', async () => {
    const body = await rpcAnswer(await rpc(await token(), 'tools/call', { name: 'hello', arguments: {} }, 3))
    expect(body).toEqual({
      jsonrpc: '2.0',
      id: 3,
      result: { content: [{ type: 'text', text: 'Hello, OAuth2!' }], isError: false },
    })
  })

  it('tools/call hello with arguments is a tool execution error (isError), not a protocol error', async () => {
    const body = await rpcAnswer(await rpc(await token(), 'tools/call', { name: 'hello', arguments: { who: 'x' } }))
    expect(body.error).toBeUndefined()
    expect(body.result?.isError).toBe(true)
  })

  it('-32601: an unknown method, answered with HTTP 200 and the request id', async () => {
    // server/discover is a 2026-07-28 method: without that revision's envelope it is unknown here.
    for (const method of ['resources/list', 'toString', '__proto__', 'server/discover']) {
      await expectRpcError(await rpc(await token(), method, undefined, 'x'), 200, -32601, 'x')
    }
  })

  it('-32602: invalid params (an unknown tool, a missing name, bad initialize, a cursor never handed out)', async () => {
    const value = await token()
    const cases: [string, Record<string, unknown> | undefined][] = [
      ['tools/call', { name: 'nope' }],
      ['tools/call', {}],
      ['tools/call', { name: 'hello', arguments: 'x' }],
      ['initialize', { protocolVersion: '2025-11-25' }],
      ['tools/list', { cursor: 'next' }],
      ['tools/list', { cursor: 1 }],
    ]
    for (const [method, params] of cases) {
      await expectRpcError(await rpc(value, method, params, 9), 200, -32602, 9)
    }
  })

  it('-32700: a body that is not JSON is a parse error with HTTP 400 and a null id', async () => {
    await expectRpcError(await mcp({ token: await token(), body: '{"jsonrpc": "2.0", "id": 1,' }), 400, -32700)
  })

  it('-32600: a batch is refused with HTTP 400 (one message per POST since MCP 2025-06-18)', async () => {
    const batch = [{ jsonrpc: '2.0', id: 1, method: 'ping' }]
    const error = await expectRpcError(await mcp({ token: await token(), body: JSON.stringify(batch) }), 400, -32600)
    expect(error?.message).toContain('batch')
  })

  it('-32600: JSON that is not a JSON-RPC 2.0 message is an invalid request with HTTP 400', async () => {
    const value = await token()
    for (const message of [
      { jsonrpc: '1.0', id: 1, method: 'ping' },
      { jsonrpc: '2.0', id: null, method: 'ping' },
      { jsonrpc: '2.0', id: 1.5, method: 'ping' },
      { jsonrpc: '2.0', id: 1, method: 'ping', params: [1] },
      { jsonrpc: '2.0', id: 1 },
      'ping',
      null,
    ]) {
      await expectRpcError(await mcp({ token: value, body: JSON.stringify(message) }), 400, -32600)
    }
  })
})

describe('the JSON-RPC dialect on failures: no stack trace, never a 500 for storage', () => {
  afterEach(() => vi.restoreAllMocks())

  it('D1 down on a token lookup that misses the caches: 503 with Retry-After, a JSON-RPC error', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {})
    const fresh = await mcpToken('read')
    for (const key of (await env.TOKEN_CACHE.list()).keys) await env.TOKEN_CACHE.delete(key.name)
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' })
    const response = await fetchWith({ DB: faultyD1() }, mcpRequest({ token: fresh, body }))
    expect(response.headers.get('Retry-After')).toMatch(/^\d+$/)
    const error = await expectRpcError(response, 503, -32000)
    expect(error?.message).not.toMatch(/D1_ERROR|\.ts:\d/)
  })

  it('any other error is a 500 with -32603 and nothing about it', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {})
    const router = createJsonRpcRouter(['/boom'])
    router.post('/boom', () => {
      throw new Error('secret internals at src/foo.ts:1')
    })
    const response = await router.request('/boom', { method: 'POST' })
    const error = await expectRpcError(response, 500, -32603)
    expect(error?.message).toBe('Internal error')
  })
})
