import { runCli } from '@coldtrace/shared/cli';
import { runEdgeCli, runSensorCli, SENSOR_COMMANDS } from './cli.js';

/**
 * `coldtrace edge|sensor …` in the compiled gateway runtime (edge/dist, built by bin/build-edge.mjs):
 * the same commands, help and exit codes as the whole CLI (bin/cli.ts), without loading the other
 * workspaces or tsx.
 */
export function gatewayMain(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  const sub = `sensor ${rest[0]}`;
  return runCli(
    () => (name === 'sensor' ? runSensorCli(rest) : runEdgeCli(rest)),
    () => (name === 'sensor' && SENSOR_COMMANDS.commands.some((c) => c.name === sub) ? sub : String(name)),
  );
}
