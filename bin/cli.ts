/** `coldtrace <command>`: dispatches to the workspace that owns each command. */
const USAGE = `usage: coldtrace <command> [options]

commands:
  demo [--duration S] [--json] [--keep]   play the demo journey: cloud, three gateways, simulators, a QA login
  cloud [--config F] [--database URL] [--http-port N] [--mqtt-port N]
                                          run the cloud (embedded MQTT broker, ingest, API)
  gateway add <id> [--name N] [--database URL]
                                          register a gateway and print its MQTT secret (once)
  edge --config F                         run a gateway
  sim llrp --port N [--scenario F]        LLRP reader simulator on TCP
  sim modbus --profile F                  Modbus RTU sensor simulator on a pseudo-terminal
  sim scenario F [--check] [--report F]   play a scenario file
  audit verify [--database URL]           verify the audit trail's hash chain
  user add <username> --role R [--role R2] [--name "Printed Name"] [--password-stdin] [--database URL]
                                          create a user (asks for the password; roles: viewer operator qa admin)
  user list [--database URL]              list users and their roles
  user token <name> --role R [--database URL]
                                          issue a bearer token for an integration (printed once)
`;

type Command = (argv: string[]) => Promise<number | undefined | undefined>;

const commands: Record<string, Command> = {
  demo: async (argv) => (await import('@coldtrace/scenario/cli')).runDemoCli(argv),
  cloud: async (argv) => (await import('@coldtrace/cloud/cli')).runCloudCli(argv),
  gateway: async (argv) => (await import('@coldtrace/cloud/cli')).runGatewayCli(argv),
  edge: async (argv) => (await import('@coldtrace/edge/cli')).runEdgeCli(argv),
  sim: async (argv) =>
    argv[0] === 'scenario'
      ? (await import('@coldtrace/scenario/cli')).runScenarioCli(argv.slice(1))
      : (await import('@coldtrace/firmware-sim/cli')).runSimCli(argv),
  audit: async (argv) => (await import('@coldtrace/cloud/cli')).runAuditCli(argv),
  user: async (argv) => (await import('@coldtrace/cloud/cli')).runUserCli(argv),
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(USAGE);
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`coldtrace: unknown command ${JSON.stringify(name)}\n\n${USAGE}`);
    return 2;
  }
  try {
    return (await command(rest)) ?? 0;
  } catch (err) {
    const e = err as Error & { code?: string };
    process.stderr.write(`coldtrace ${name}: ${e.message}\n`);
    if (process.env.COLDTRACE_DEBUG) process.stderr.write(`${e.stack}\n`);
    return 1;
  }
}
