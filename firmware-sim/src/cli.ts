import { type CliGroup, defineCommand, parseCommand, pickCommand } from '@coldtrace/shared/cli';

// The simulators' commands as the parser and the help see them (declared once, here; the modules that
// run them are loaded only once the command line is valid).

export const LLRP_SIM_COMMAND = defineCommand({
  name: 'sim llrp',
  summary: 'LLRP reader simulator on TCP; plays --scenario once a client has started a ROSpec',
  options: {
    port: { type: 'string', value: 'N', default: '5084', description: 'TCP port (0: any free port)' },
    host: {
      type: 'string',
      value: 'H',
      default: '127.0.0.1',
      description: 'address to listen on (0.0.0.0 to let other machines connect)',
    },
    scenario: { type: 'string', value: 'FILE', description: 'timeline of tag passes and faults (YAML/JSON)' },
  },
  notes: [
    'Prints JSON status lines; the first is {"msg":"llrp simulator listening","host":H,"port":P} (the bound',
    'port, so --port 0 is usable). SIGINT or SIGTERM stops it.',
  ],
});

export const MODBUS_SIM_COMMAND = defineCommand({
  name: 'sim modbus',
  summary: 'Modbus RTU sensor simulator on a pseudo-terminal; prints the device path for the gateway',
  options: {
    profile: { type: 'string', value: 'FILE', required: true, description: 'the sensors (YAML/JSON)' },
    dir: {
      type: 'string',
      value: 'DIR',
      description: 'where to create the device (default: a temporary directory)',
    },
    seed: { type: 'string', value: 'N', description: "random seed (default: the profile file's)" },
  },
});

export const SCANNER_SIM_COMMAND = defineCommand({
  name: 'sim scanner',
  summary: 'serial barcode scanner simulator on a pseudo-terminal; scans a lot population once',
  options: {
    profile: {
      type: 'string',
      value: 'FILE',
      required: true,
      description: 'the lots, label formats, read faults and pace (YAML/JSON)',
    },
    dir: {
      type: 'string',
      value: 'DIR',
      description: 'where to create the device (default: a temporary directory)',
    },
    seed: { type: 'string', value: 'N', description: "random seed (default: the profile file's)" },
  },
  notes: [
    'Prints JSON lines: first {"msg":"scanner simulator ready","device":PATH,...} (give PATH to the gateway\'s',
    'scan station), then one {"msg":"scan",...} per code sent. SIGINT or SIGTERM stops it.',
  ],
});

/** `coldtrace sim llrp|modbus|scanner` (`sim scenario` belongs to the scenario workspace). */
export const DEVICE_SIM_COMMANDS: CliGroup = {
  name: 'sim',
  summary: 'device simulators',
  commands: [LLRP_SIM_COMMAND, MODBUS_SIM_COMMAND, SCANNER_SIM_COMMAND],
};

export interface SimCliOptions {
  /** Stops the simulator like SIGINT/SIGTERM do (tests). */
  signal?: AbortSignal;
  /** Where the status lines go (default stdout). */
  out?: (line: string) => void;
}

export async function runSimCli(argv: string[], opts: SimCliOptions = {}): Promise<number> {
  const { command, argv: rest } = pickCommand(DEVICE_SIM_COMMANDS, argv);
  if (command === LLRP_SIM_COMMAND) {
    const { values, fail } = parseCommand(LLRP_SIM_COMMAND, rest);
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      fail(`--port must be 0..65535, got ${values.port}`);
    await (await import('./llrp/cli.js')).runLlrpSim(
      { port, host: values.host, scenarioFile: values.scenario },
      opts,
    );
  } else if (command === SCANNER_SIM_COMMAND) {
    const { values, fail } = parseCommand(SCANNER_SIM_COMMAND, rest);
    const seed = values.seed === undefined ? undefined : Number(values.seed);
    if (seed !== undefined && !Number.isInteger(seed)) fail(`--seed must be an integer, got ${values.seed}`);
    await (await import('./scanner/cli.js')).runScannerSim(
      { profile: values.profile, dir: values.dir, seed },
      opts,
    );
  } else {
    const { values, fail } = parseCommand(MODBUS_SIM_COMMAND, rest);
    const seed = values.seed === undefined ? undefined : Number(values.seed);
    if (seed !== undefined && !Number.isInteger(seed)) fail(`--seed must be an integer, got ${values.seed}`);
    await (await import('./modbus/cli.js')).runModbusSim(
      { profile: values.profile, dir: values.dir, seed },
      opts,
    );
  }
  return 0;
}
