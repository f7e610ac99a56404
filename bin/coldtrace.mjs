#!/usr/bin/env node
// The `coldtrace` command. `edge` and `sensor` (the gateway's commands) run the compiled gateway in
// edge/dist when it is built from the current sources (bin/edge-runtime.mjs); everything else, and the
// gateway in a checkout being edited, runs the TypeScript sources through tsx's loader.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { COMPILED_MAIN, edgeRuntime } from './edge-runtime.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const gatewayCommand = argv[0] === 'edge' || argv[0] === 'sensor';
const choice = gatewayCommand ? edgeRuntime(root) : { runtime: 'tsx' };
if (choice.error) {
  process.stderr.write(`coldtrace ${argv[0]}: ${choice.error}\n`);
  process.exitCode = 1;
} else if (choice.runtime === 'compiled') {
  if (choice.why)
    process.stderr.write(`coldtrace ${argv[0]}: COLDTRACE_EDGE_RUNTIME=compiled: ${choice.why}\n`);
  const { gatewayMain } = await import(join(root, COMPILED_MAIN));
  process.exitCode = await gatewayMain(argv);
} else {
  if (choice.why)
    process.stderr.write(`coldtrace ${argv[0]}: running the TypeScript sources under tsx: ${choice.why}\n`);
  const { register } = await import('tsx/esm/api');
  register();
  const { main } = await import('./cli.js');
  process.exitCode = await main(argv);
}
