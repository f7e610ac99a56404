#!/usr/bin/env node
// `npm run build` (and `prepare`, run by `npm ci`): compiles the gateway runtime, edge/src and
// shared/src, to JavaScript in edge/dist:
//   edge/dist/src/…                             edge's modules (entry: main.js)
//   edge/dist/node_modules/@coldtrace/shared/…  shared's modules, with a package.json exporting them
// Node resolves `@coldtrace/shared` from edge/dist/src through edge/dist/node_modules first, so the
// compiled gateway loads shared's JavaScript with no loader, flag or export condition, while tsx, vitest
// and tsc keep resolving shared/package.json to the TypeScript sources. COLDTRACE_SKIP_BUILD=1 skips
// (deploy/Dockerfile installs dependencies before it copies the sources).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILD_STAMP } from './edge-runtime.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
if (process.env.COLDTRACE_SKIP_BUILD === '1') {
  process.stdout.write('build-edge: skipped (COLDTRACE_SKIP_BUILD=1)\n');
  process.exit(0);
}
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const sharedOut = join(root, 'edge/dist/node_modules/@coldtrace/shared');

function compile(project, outDir) {
  const r = spawnSync(process.execPath, [tsc, '-p', join(root, project), '--outDir', outDir], {
    stdio: 'inherit',
    cwd: root,
  });
  if (r.status !== 0) {
    process.stderr.write(`build-edge: tsc -p ${project} failed\n`);
    process.exit(1);
  }
}

const started = performance.now();
rmSync(join(root, 'edge/dist'), { recursive: true, force: true });
compile('shared/tsconfig.build.json', sharedOut);
compile('edge/tsconfig.build.json', join(root, 'edge/dist/src'));

// shared's exports, each TypeScript source mapped to its compiled module (test-only entries left out).
const pkg = JSON.parse(readFileSync(join(root, 'shared/package.json'), 'utf8'));
const exports = {};
for (const [key, target] of Object.entries(pkg.exports)) {
  const m = /^\.\/src\/(.+)\.ts$/.exec(target);
  if (m) exports[key] = `./${m[1]}.js`;
}
writeFileSync(
  join(sharedOut, 'package.json'),
  `${JSON.stringify({ name: pkg.name, version: pkg.version, private: true, type: 'module', exports }, null, 2)}\n`,
);
mkdirSync(dirname(join(root, BUILD_STAMP)), { recursive: true });
writeFileSync(
  join(root, BUILD_STAMP),
  `${JSON.stringify({ builtAt: new Date().toISOString(), node: process.version }, null, 2)}\n`,
);
process.stdout.write(
  `build-edge: edge/dist built in ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
);
