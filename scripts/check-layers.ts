/**
 * `npm run lint`'s layer check: every import in src/ runs downward through LAYERS, and no
 * module imports itself back through others (an import circle, type-only imports included).
 * docs/architecture.md "Layers" explains the table. Test files are exempt: they import
 * whatever they check, and nothing imports them.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import ts from 'typescript'

/**
 * Top to bottom. A unit imports only units of lower layers (and, freely, modules of its own
 * unit). A unit is a folder of src/ (`oauth`), a file at src/'s top without its extension
 * (`config`), or a file named on its own (`lib/request-context.ts`), which then leaves its folder's unit.
 */
const LAYERS: readonly (readonly string[])[] = [
  // Entry points: the Worker's app, the Node CLI.
  ['index', 'cli'],
  // Features that assemble routes from everything below: the OpenAPI document and Swagger UI,
  // the MCP endpoint, the Django import.
  ['docs', 'mcp', 'import'],
  // The browser's pages (the console, the landing page, …) and their kit.
  ['web'],
  // The authorization server's protocol (RFC 6749 and the standards around it).
  ['oauth'],
  // The resource API's routes.
  ['api'],
  // Authentication of API calls, permission guards, the session owner.
  ['auth'],
  // Users, logins, sessions.
  ['accounts'],
  // Resource identity: the issuer, this Worker's protected resources, token audiences.
  ['resource'],
  // A request's dependencies (D1 sessions, the token store, settings) built from its context.
  ['lib/request-context.ts'],
  // Dialects and router factories, HTTP semantics.
  ['http'],
  // Settings; the Hono environments.
  ['config', 'types'],
  // The token tables and their cache tiers.
  ['tokens'],
  // Plumbing that knows no domain: time, scopes, forms, limits, addresses.
  ['lib'],
  // The schema and the D1 client.
  ['db'],
  // Random values, digests, password hashes, token formats, signing keys.
  ['crypto'],
]

const SRC = 'src'

/** The unit a module of src/ belongs to, or null for a module the table does not place. */
function unitOf(path: string): string | null {
  const inSrc = relative(SRC, path).split('\\').join('/')
  if (LAYERS.some((layer) => layer.includes(inSrc))) return inSrc
  const [first, ...rest] = inSrc.split('/')
  return rest.length === 0 ? first.replace(/\.tsx?$/, '') : first
}

const layerOf = new Map<string, number>(LAYERS.flatMap((layer, index) => layer.map((unit) => [unit, index] as const)))

function modules(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name)
    if (entry.isDirectory()) return modules(path)
    return /\.tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts')
      ? [path]
      : []
  })
}

/** The src/ modules `path` imports: static, type-only, re-exports and dynamic `import()` alike. */
function importsOf(path: string): string[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(path, 'utf8'), true, true)
  return importedFiles
    .map((file) => file.fileName)
    .filter((specifier) => specifier.startsWith('.'))
    .map((specifier) => relative('.', resolve(dirname(path), specifier)))
    .filter((target) => existsSync(target) && !relative(SRC, target).startsWith('..'))
}

/** Import circles: the strongly connected components of more than one module (Tarjan). */
function circles(graph: Map<string, string[]>): string[][] {
  let next = 0
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const found: string[][] = []
  const visit = (module: string): void => {
    index.set(module, next)
    low.set(module, next)
    next++
    stack.push(module)
    onStack.add(module)
    for (const target of graph.get(module) ?? []) {
      if (!index.has(target)) {
        visit(target)
        low.set(module, Math.min(low.get(module) ?? 0, low.get(target) ?? 0))
      } else if (onStack.has(target)) {
        low.set(module, Math.min(low.get(module) ?? 0, index.get(target) ?? 0))
      }
    }
    if (low.get(module) !== index.get(module)) return
    const component: string[] = []
    let member: string | undefined
    do {
      member = stack.pop()
      if (member === undefined) break
      onStack.delete(member)
      component.push(member)
    } while (member !== module)
    if (component.length > 1 || (graph.get(module) ?? []).includes(module)) found.push(component.reverse())
  }
  for (const module of graph.keys()) if (!index.has(module)) visit(module)
  return found
}

/** One cycle through the component's first module, for the message (a component may hold several). */
function cycleThrough(component: string[], graph: Map<string, string[]>): string[] {
  const members = new Set(component)
  const start = component[0]
  const previous = new Map<string, string>()
  const queue = [start]
  while (queue.length > 0) {
    const module = queue.shift() as string
    for (const target of graph.get(module) ?? []) {
      if (!members.has(target)) continue
      if (target === start) {
        const path = [module]
        while (path[0] !== start) path.unshift(previous.get(path[0]) as string)
        return [...path, start]
      }
      if (!previous.has(target)) {
        previous.set(target, module)
        queue.push(target)
      }
    }
  }
  return component
}

function checkLayers(): string[] {
  const problems: string[] = []
  const graph = new Map<string, string[]>()
  for (const module of modules(SRC)) graph.set(module, importsOf(module))
  for (const [module, targets] of graph) {
    const from = unitOf(module)
    const fromLayer = from === null ? undefined : layerOf.get(from)
    if (fromLayer === undefined) {
      problems.push(`${module}: its unit "${from}" has no layer: add it to LAYERS in scripts/check-layers.ts`)
      continue
    }
    for (const target of targets) {
      const to = unitOf(target)
      if (to === from) continue
      const toLayer = to === null ? undefined : layerOf.get(to)
      if (toLayer === undefined) continue // reported as its own module
      if (toLayer <= fromLayer) {
        const why = toLayer === fromLayer ? 'its own layer' : 'a higher layer'
        problems.push(`${module} imports ${target}: ${from} may not import ${to} (${why})`)
      }
    }
  }
  for (const component of circles(graph)) {
    problems.push(`import circle: ${cycleThrough(component, graph).join(' → ')}`)
  }
  return problems
}

const problems = checkLayers()
for (const problem of problems) console.error(problem)
if (problems.length > 0) process.exit(1)
console.log(`layers: every import in ${SRC}/ runs downward, no import circle`)
