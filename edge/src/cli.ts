import { parseArgs } from 'node:util';
import { clockFromEnv } from '@coldtrace/shared';
import { loadGatewayConfig } from './config.js';
import { startGateway } from './gateway.js';

/**
 * `coldtrace edge --config F`: runs a gateway until SIGINT/SIGTERM. The wall clock unless the scenario
 * runner set the COLDTRACE_CLOCK_* variables (a gateway run as a child process on the scenario clock).
 */
export async function runEdgeCli(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string' } }, strict: true });
  if (!values.config) throw new Error('usage: coldtrace edge --config <file.yaml>');
  const config = loadGatewayConfig(values.config);
  const gateway = await startGateway(config, { clock: clockFromEnv(process.env) });
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await gateway.stop();
  return 0;
}
