/** The routes a running app serves, read from the app itself (so a route added later is seen here). */

export interface DiscoveredRoute {
  method: string;
  /** Fastify syntax: `/api/v1/lots/:id`. */
  path: string;
  /** Listed in /openapi.json (hidden routes — pages, static, health — are not). */
  documented: boolean;
}

export const routeKey = (method: string, path: string): string => `${method} ${path}`;

/**
 * Parses `app.printRoutes({ commonPrefix: false })`: a tree whose lines are `├── seg (GET, HEAD)`, each
 * level indented by four characters; a node's full path is its parent's path followed by its segment.
 */
export function parsePrintedRoutes(tree: string): Array<{ method: string; path: string }> {
  const out: Array<{ method: string; path: string }> = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^([\s│]*)[└├]── (.*?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    const path = (depth === 0 ? '' : stack[depth - 1]!) + m[2]!;
    stack[depth] = path;
    stack.length = depth + 1;
    for (const method of (m[3] ?? '').split(',').map((s) => s.trim())) if (method) out.push({ method, path });
  }
  return out;
}

/** OpenAPI `{id}` → Fastify `:id`. */
export const fromOpenApiPath = (p: string): string => p.replace(/\{([^}]+)\}/g, ':$1');

/**
 * Every route of the app: /openapi.json paths × methods, plus the hidden ones from printRoutes. HEAD is
 * folded into GET (Fastify adds it for every GET; same handler, same hooks, same access rule).
 */
export function discoverRoutes(
  openapi: { paths: Record<string, Record<string, unknown>> },
  printed: string,
): DiscoveredRoute[] {
  const byKey = new Map<string, DiscoveredRoute>();
  for (const [p, ops] of Object.entries(openapi.paths))
    for (const m of Object.keys(ops)) {
      const method = m.toUpperCase();
      const path = fromOpenApiPath(p);
      byKey.set(routeKey(method, path), { method, path, documented: true });
    }
  for (const r of parsePrintedRoutes(printed)) {
    const method = r.method === 'HEAD' ? 'GET' : r.method;
    const k = routeKey(method, r.path);
    if (!byKey.has(k)) byKey.set(k, { method, path: r.path, documented: false });
  }
  return [...byKey.values()].sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method));
}

/** Placeholder values for path parameters, valid in shape, naming nothing that exists. */
const PARAM_SAMPLES: Record<string, string> = {
  id: 'probe-1',
  gtin: '00000000000000',
  epc: 'DEADBEEF',
  file: 'app.css',
};

/** A concrete URL for a route pattern (`:name` and `*` filled with harmless samples). */
export function sampleUrl(path: string): string {
  return path.replace(/:([A-Za-z]+)/g, (_, n: string) => PARAM_SAMPLES[n] ?? 'probe-1').replace(/\*$/, 'x');
}
