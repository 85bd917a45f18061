/**
 * @module
 * The MCP endpoint's tools, each the twin of a resource API view and needing what that view
 * needs: `hello` answers as GET /api/hello does (the scope `read`, MCP_TOOLS_SCOPE);
 * `trigger_build` does what POST /api/build-trigger/ does (DRF's BuildTrigger: the scope `write`
 * and a user). A client that connected with `read` meets trigger_build's 403 insufficient_scope
 * and steps up to `write` (MCP SEP-2350). Listed in a fixed order (MCP 2026-07-28: deterministic,
 * so clients can cache the list).
 */
import { HELLO } from '../api/hello.ts'
import { MCP_TOOLS_SCOPE } from '../resource/resources.ts'

/** A tool call's result (MCP Server › Tools › Tool Result). */
export type ToolResult = { content: { type: 'text'; text: string }[]; isError: boolean }

export type Tool = {
  /** What tools/list says of it. */
  definition: {
    name: string
    title: string
    description: string
    inputSchema: Record<string, unknown>
    annotations: Record<string, boolean>
  }
  /** DOT's TokenHasScope for a call: every one is required. */
  scopes: readonly string[]
  /** DRF's IsAuthenticated: a token acting for no user (client_credentials) is refused. */
  needsUser: boolean
  /** What a call answers. */
  text: string
}

const NO_ARGUMENTS = { type: 'object', properties: {}, additionalProperties: false }

const HELLO_TOOL: Tool = {
  definition: {
    name: 'hello',
    title: 'Hello',
    description: 'Answers "Hello, OAuth2!", as /api/hello does: proof that the call carried a valid token.',
    inputSchema: NO_ARGUMENTS,
    annotations: { readOnlyHint: true, openWorldHint: false },
  },
  scopes: [MCP_TOOLS_SCOPE],
  needsUser: false,
  text: HELLO,
}

/** The scope trigger_build needs, as POST /api/build-trigger/ does. */
const TRIGGER_BUILD_SCOPE = 'write'

const TRIGGER_BUILD_TOOL: Tool = {
  definition: {
    name: 'trigger_build',
    title: 'Trigger a build',
    description:
      'Triggers a build, as POST /api/build-trigger/ does (the DRF tutorial’s BuildTrigger). Needs the scope write, which a client that connected with read obtains by stepping up.',
    inputSchema: NO_ARGUMENTS,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  },
  scopes: [TRIGGER_BUILD_SCOPE],
  needsUser: true,
  text: 'Build triggered.',
}

export const TOOLS: readonly Tool[] = [HELLO_TOOL, TRIGGER_BUILD_TOOL]

export function findTool(name: string): Tool | undefined {
  return TOOLS.find((tool) => tool.definition.name === name)
}

/**
 * A call with `args`: neither tool takes arguments, and arguments the input schema refuses are a
 * tool execution error, which the model can read and correct (MCP Server › Tools › Error
 * Handling), not a protocol error.
 */
export function runTool(tool: Tool, args: Record<string, unknown>): ToolResult {
  if (Object.keys(args).length > 0) {
    return { content: [{ type: 'text', text: `The tool ${tool.definition.name} takes no arguments.` }], isError: true }
  }
  return { content: [{ type: 'text', text: tool.text }], isError: false }
}
