// Which runtime `coldtrace edge|sensor` uses: the compiled gateway (edge/dist, bin/build-edge.mjs) when
// it is built from the sources as they are now, else the TypeScript sources under tsx (a checkout being
// edited). COLDTRACE_EDGE_RUNTIME=compiled|tsx forces one. docs/operations.md, "Gateway runtime".
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The sources the compiled gateway is built from, relative to the repository root. */
export const EDGE_SOURCES = ['edge/src', 'shared/src'];
/** Written last by the build: its time is the build's. */
export const BUILD_STAMP = 'edge/dist/build.json';
/** The compiled entry (edge/src/main.ts). */
export const COMPILED_MAIN = 'edge/dist/src/main.js';

function newestMtimeMs(dir) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtimeMs(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * `{ runtime: 'compiled' }` (with `why` when it is forced although older than the sources), or
 * `{ runtime: 'tsx', why }` saying why not the compiled one, or `{ error }` when the compiled runtime is
 * forced but not built.
 */
export function edgeRuntime(root, env = process.env) {
  const forced = env.COLDTRACE_EDGE_RUNTIME;
  if (forced === 'tsx') return { runtime: 'tsx' };
  if (!existsSync(join(root, BUILD_STAMP)) || !existsSync(join(root, COMPILED_MAIN))) {
    const why = 'edge/dist is not built (npm run build)';
    return forced === 'compiled'
      ? { error: `COLDTRACE_EDGE_RUNTIME=compiled, but ${why}` }
      : { runtime: 'tsx', why };
  }
  const built = statSync(join(root, BUILD_STAMP)).mtimeMs;
  const stale = EDGE_SOURCES.find((d) => newestMtimeMs(join(root, d)) > built);
  if (!stale) return { runtime: 'compiled' };
  const why = `edge/dist is older than ${stale} (npm run build)`;
  return forced === 'compiled' ? { runtime: 'compiled', why } : { runtime: 'tsx', why };
}
