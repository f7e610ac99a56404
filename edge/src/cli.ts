import { clockFromEnv } from '@coldtrace/shared';
import { defineCommand, parseCommand } from '@coldtrace/shared/cli';

export const EDGE_COMMAND = defineCommand({
  name: 'edge',
  summary: 'run a gateway until SIGINT/SIGTERM',
  options: {
    config: { type: 'string', value: 'FILE', required: true, description: 'gateway config (YAML/JSON)' },
  },
});

/**
 * `coldtrace edge --config F`: runs a gateway until SIGINT/SIGTERM. The wall clock unless the scenario
 * runner set the COLDTRACE_CLOCK_* variables (a gateway run as a child process on the scenario clock).
 * The gateway's modules are loaded only once the command line is valid (`--help` starts nothing).
 */
export async function runEdgeCli(argv: string[]): Promise<number> {
  const { values } = parseCommand(EDGE_COMMAND, argv);
  const [{ loadGatewayConfig }, { startGateway }] = await Promise.all([
    import('./config.js'),
    import('./gateway.js'),
  ]);
  const config = loadGatewayConfig(values.config);
  const gateway = await startGateway(config, { clock: clockFromEnv(process.env) });
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await gateway.stop();
  return 0;
}
