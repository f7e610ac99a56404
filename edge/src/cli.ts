import { clockFromEnv } from '@coldtrace/shared';
import { type CliGroup, defineCommand, parseCommand, pickCommand } from '@coldtrace/shared/cli';
import { DEFAULT_COMMISSIONING_LOG } from './commission/commissioning-log.js';

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

const BUS_OPTIONS = {
  device: {
    type: 'string',
    value: 'PATH',
    required: true,
    description: 'serial device of the RS-485 bus, e.g. /dev/ttyUSB0',
  },
  baud: {
    type: 'string',
    value: 'N',
    default: '9600',
    description: 'line speed in baud; 8 data bits, no parity, 1 stop bit',
  },
  'timeout-ms': {
    type: 'string',
    value: 'MS',
    default: '300',
    description: 'how long to wait for each answer',
  },
} as const;

const ADDRESS_OPTION = {
  address: { type: 'string', value: 'N', required: true, description: "the sensor's address now, 1..247" },
} as const;

const POWER_CYCLE_NOTE = [
  'The XY-MD02 stores the new value at once and uses it only after it is powered off and on.',
];

export const SENSOR_SCAN_COMMAND = defineCommand({
  name: 'sensor scan',
  summary: 'list the Modbus addresses that answer on a bus',
  options: {
    ...BUS_OPTIONS,
    from: { type: 'string', value: 'N', default: '1', description: 'first address to try' },
    to: { type: 'string', value: 'N', default: '247', description: 'last address to try' },
  },
  notes: ['Exit 0 when a sensor answered, 1 when none did.'],
});

export const SENSOR_INFO_COMMAND = defineCommand({
  name: 'sensor info',
  summary: "read a sensor's setup (address, baud rate, calibration) and its reading",
  options: { ...BUS_OPTIONS, ...ADDRESS_OPTION },
});

export const SENSOR_SET_ADDRESS_COMMAND = defineCommand({
  name: 'sensor set-address',
  summary: "change a sensor's Modbus address",
  options: {
    ...BUS_OPTIONS,
    ...ADDRESS_OPTION,
    'new-address': {
      type: 'string',
      value: 'N',
      required: true,
      description: 'the address to give it, 1..247',
    },
  },
  notes: POWER_CYCLE_NOTE,
});

export const SENSOR_SET_BAUD_COMMAND = defineCommand({
  name: 'sensor set-baud',
  summary: "change a sensor's baud rate",
  options: {
    ...BUS_OPTIONS,
    ...ADDRESS_OPTION,
    'new-baud': { type: 'string', value: 'N', required: true, description: '9600, 14400 or 19200' },
  },
  notes: POWER_CYCLE_NOTE,
});

export const SENSOR_CALIBRATE_COMMAND = defineCommand({
  name: 'sensor calibrate',
  summary: "store a sensor's temperature and humidity corrections, read back and logged",
  options: {
    ...BUS_OPTIONS,
    ...ADDRESS_OPTION,
    'temp-offset': {
      type: 'string',
      value: 'C',
      description: 'temperature correction to store, °C, -10.0..10.0 in steps of 0.1',
    },
    'rh-offset': {
      type: 'string',
      value: 'RH',
      description: 'humidity correction to store, %RH, -10.0..10.0 in steps of 0.1',
    },
    yes: { type: 'boolean', description: 'write them (without it: show the change, write nothing)' },
    log: {
      type: 'string',
      value: 'FILE',
      default: DEFAULT_COMMISSIONING_LOG,
      description: 'the commissioning log each change is appended to',
    },
  },
  notes: [
    'Give a negative value as --temp-offset=-0.5. The sensor adds its corrections to every reading from',
    'the next measurement on. Exit 0 when stored and read back, 1 when nothing was written (no --yes).',
  ],
});

/** `coldtrace sensor …`: commissioning XY-MD02 sensors on site (docs/modbus.md, Commissioning). */
export const SENSOR_COMMANDS: CliGroup = {
  name: 'sensor',
  summary: 'commission Modbus sensors: scan a bus, read and change a sensor setup',
  commands: [
    SENSOR_SCAN_COMMAND,
    SENSOR_INFO_COMMAND,
    SENSOR_SET_ADDRESS_COMMAND,
    SENSOR_SET_BAUD_COMMAND,
    SENSOR_CALIBRATE_COMMAND,
  ],
};

/** `coldtrace sensor scan|info|set-address|set-baud|calibrate`; `out` receives the lines (stdout by default). */
export async function runSensorCli(
  argv: string[],
  out: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Promise<number> {
  const { command, argv: rest } = pickCommand(SENSOR_COMMANDS, argv);
  /** The values every sensor command shares, judged; `fail` is the parsed command's. */
  const busOf = (
    v: { device: string; baud: string; 'timeout-ms': string },
    int: (name: string, v: string, min: number, max: number) => number,
  ) => ({
    path: v.device,
    baudRate: int('baud', v.baud, 300, 1_000_000),
    timeoutMs: int('timeout-ms', v['timeout-ms'], 1, 60_000),
  });
  const integers =
    (fail: (problem: string) => never) => (name: string, v: string, min: number, max: number) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < min || n > max) fail(`--${name} must be ${min}..${max}, got ${v}`);
      return n;
    };
  const c = await import('./commission/sensor-commands.js');
  if (command === SENSOR_SCAN_COMMAND) {
    const { values, fail } = parseCommand(SENSOR_SCAN_COMMAND, rest);
    const int = integers(fail);
    const from = int('from', values.from, 1, 247);
    const to = int('to', values.to, from, 247);
    const found = await c.scanBus({ ...busOf(values, int), from, to }, out);
    return found.length > 0 ? 0 : 1;
  }
  if (command === SENSOR_INFO_COMMAND) {
    const { values, fail } = parseCommand(SENSOR_INFO_COMMAND, rest);
    const int = integers(fail);
    await c.sensorInfo({ ...busOf(values, int), address: int('address', values.address, 1, 247) }, out);
  } else if (command === SENSOR_SET_ADDRESS_COMMAND) {
    const { values, fail } = parseCommand(SENSOR_SET_ADDRESS_COMMAND, rest);
    const int = integers(fail);
    await c.setAddress(
      {
        ...busOf(values, int),
        address: int('address', values.address, 1, 247),
        newAddress: int('new-address', values['new-address'], 1, 247),
      },
      out,
    );
  } else if (command === SENSOR_CALIBRATE_COMMAND) {
    const { values, fail } = parseCommand(SENSOR_CALIBRATE_COMMAND, rest);
    const int = integers(fail);
    const offset = (name: string, v: string | undefined) => {
      if (v === undefined) return undefined;
      // a number as written (Number('') is 0, Number('0x10') 16): refused here, the range by calibrate()
      if (!/^[+-]?\d+(\.\d+)?$/.test(v)) fail(`--${name} must be a number like 0.5 or -1.2, got ${v}`);
      return Number(v);
    };
    const tempOffsetC = offset('temp-offset', values['temp-offset']);
    const rhOffset = offset('rh-offset', values['rh-offset']);
    if (tempOffsetC === undefined && rhOffset === undefined) fail('give --temp-offset, --rh-offset or both');
    const wrote = await c.calibrate(
      {
        ...busOf(values, int),
        address: int('address', values.address, 1, 247),
        tempOffsetC,
        rhOffset,
        yes: values.yes,
        logPath: values.log,
      },
      out,
    );
    return wrote ? 0 : 1;
  } else {
    const { values, fail } = parseCommand(SENSOR_SET_BAUD_COMMAND, rest);
    const int = integers(fail);
    const newBaud = Number(values['new-baud']);
    if (![9600, 14400, 19200].includes(newBaud))
      fail(`--new-baud must be 9600, 14400 or 19200, got ${values['new-baud']}`);
    await c.setBaud({ ...busOf(values, int), address: int('address', values.address, 1, 247), newBaud }, out);
  }
  return 0;
}
