import { ColdtraceError, errorMessage } from '@coldtrace/shared';
import { type CommissioningLog, openCommissioningLog } from './commissioning-log.js';
import { openSensorLink, type SensorLink, type SensorLinkOptions } from './sensor-link.js';
import {
  ADDRESS_REGISTER,
  BAUD_REGISTER,
  baudCode,
  correctionWord,
  decodeSetup,
  RH_CORRECTION_REGISTER,
  SETUP_FIRST_REGISTER,
  SETUP_REGISTER_COUNT,
  type SensorSetup,
  signedTenths,
  TEMP_CORRECTION_REGISTER,
} from './xy-md02-setup.js';

/** Where the commands write their lines (stdout by default). */
export type Out = (line: string) => void;

const POWER_CYCLE = 'power the sensor off and on to use it (it keeps answering as before until then)';

async function withLink<T>(opts: SensorLinkOptions, run: (link: SensorLink) => Promise<T>): Promise<T> {
  const link = await openSensorLink(opts);
  try {
    return await run(link);
  } finally {
    await link.close();
  }
}

/** `coldtrace sensor scan`: the addresses from `from` to `to` that answer, one request each. */
export async function scanBus(
  opts: SensorLinkOptions & { from: number; to: number },
  out: Out,
): Promise<number[]> {
  return withLink(opts, async (link) => {
    const found: number[] = [];
    for (let a = opts.from; a <= opts.to; a++) {
      if (await link.responds(a, SETUP_FIRST_REGISTER)) {
        found.push(a);
        out(`address ${a}: answers`);
      }
    }
    out(
      found.length === 0
        ? `no sensor answered at ${opts.baudRate} baud on ${opts.path} (addresses ${opts.from}..${opts.to}); try another --baud`
        : `${found.length} sensor(s) answered at ${opts.baudRate} baud on ${opts.path}`,
    );
    return found;
  });
}

/** `coldtrace sensor info`: the sensor's setup registers and its current reading. */
export async function sensorInfo(opts: SensorLinkOptions & { address: number }, out: Out): Promise<void> {
  await withLink(opts, async (link) => {
    const setup = decodeSetup(
      await link.readHolding(opts.address, SETUP_FIRST_REGISTER, SETUP_REGISTER_COUNT),
    );
    const reading = await readReading(link, opts.address);
    out(`sensor at address ${opts.address} on ${opts.path} (XY-MD02 setup registers)`);
    out(`  stored address          ${setup.address}`);
    out(`  stored baud rate        ${setup.baudRate ?? 'unknown code'}`);
    out(`  temperature correction  ${signedTenths(setup.tempOffsetC)} °C`);
    out(`  humidity correction     ${signedTenths(setup.rhOffset)} %RH`);
    out(`  reading                 ${reading}`);
    if (setup.address !== opts.address || setup.baudRate !== opts.baudRate)
      out(`  the stored setup differs from the one in use: ${POWER_CYCLE}`);
  });
}

/** The sensor's reading now (input registers 0x0001..0x0002, corrections included): `4.2 °C, 55.0 %RH`. */
async function readReading(link: SensorLink, address: number): Promise<string> {
  const [t, rh] = await link.readInput(address, 1, 2);
  const signed = (w: number) => (w >= 0x8000 ? w - 0x10000 : w);
  return `${(signed(t!) / 10).toFixed(1)} °C, ${(rh! / 10).toFixed(1)} %RH`;
}

/** `coldtrace sensor set-address`: stores a new slave address (refused when another device has it). */
export async function setAddress(
  opts: SensorLinkOptions & { address: number; newAddress: number },
  out: Out,
): Promise<void> {
  await withLink(opts, async (link) => {
    if (opts.newAddress !== opts.address && (await link.responds(opts.newAddress, SETUP_FIRST_REGISTER)))
      throw new ColdtraceError(
        'sensor_address_taken',
        `a device already answers at address ${opts.newAddress} on ${opts.path}: choose a free address (coldtrace sensor scan)`,
      );
    await link.writeRegister(opts.address, ADDRESS_REGISTER, opts.newAddress);
    out(`address ${opts.address}: new address ${opts.newAddress} stored; ${POWER_CYCLE}`);
    out(`then set address: ${opts.newAddress} for this sensor in the gateway config`);
  });
}

/** `coldtrace sensor set-baud`: stores a new baud rate. */
export async function setBaud(
  opts: SensorLinkOptions & { address: number; newBaud: number },
  out: Out,
): Promise<void> {
  const code = baudCode(opts.newBaud);
  if (code === undefined) throw new RangeError(`the XY-MD02 has no baud rate ${opts.newBaud}`);
  await withLink(opts, async (link) => {
    await link.writeRegister(opts.address, BAUD_REGISTER, code);
    out(`address ${opts.address}: new baud rate ${opts.newBaud} stored; ${POWER_CYCLE}`);
    out(
      `then set baudRate: ${opts.newBaud} for its bus in the gateway config (every sensor on a bus shares one speed)`,
    );
  });
}

export interface CalibrateOptions extends SensorLinkOptions {
  address: number;
  /** The temperature correction to store, °C (register 0x0103); unchanged when absent. */
  tempOffsetC?: number;
  /** The humidity correction to store, %RH (register 0x0104); unchanged when absent. */
  rhOffset?: number;
  /** Write. Without it the command shows the change and writes nothing. */
  yes: boolean;
  /** The commissioning log each change is recorded in (commissioning-log.ts). */
  logPath: string;
}

/**
 * `coldtrace sensor calibrate`: stores the XY-MD02's temperature and/or humidity correction (FC 0x06),
 * reads the setup back and fails with `sensor_verify_failed` unless it holds exactly what was written.
 * Values are judged, and the log opened, before the bus is. Every write attempt is logged with the setup
 * before and after (or the error); a preview (no `yes`) writes and logs nothing. Returns whether it wrote.
 */
export async function calibrate(opts: CalibrateOptions, out: Out): Promise<boolean> {
  const changes = [
    ...(opts.tempOffsetC === undefined
      ? []
      : [
          {
            field: 'tempOffsetC' as const,
            register: TEMP_CORRECTION_REGISTER,
            word: correctionWord(opts.tempOffsetC, '--temp-offset', '°C'),
            name: 'temperature correction',
            unit: '°C',
          },
        ]),
    ...(opts.rhOffset === undefined
      ? []
      : [
          {
            field: 'rhOffset' as const,
            register: RH_CORRECTION_REGISTER,
            word: correctionWord(opts.rhOffset, '--rh-offset', '%RH'),
            name: 'humidity correction',
            unit: '%RH',
          },
        ]),
  ];
  const corrections = (s: SensorSetup) => ({ tempOffsetC: s.tempOffsetC, rhOffset: s.rhOffset });
  const readSetup = async (link: SensorLink) =>
    decodeSetup(await link.readHolding(opts.address, SETUP_FIRST_REGISTER, SETUP_REGISTER_COUNT));
  const log = opts.yes ? openCommissioningLog(opts.logPath) : undefined;
  try {
    return await withLink(opts, (link) => calibrateOn(link, log));
  } finally {
    log?.close();
  }

  async function calibrateOn(link: SensorLink, log: CommissioningLog | undefined): Promise<boolean> {
    const before = await readSetup(link);
    const readingBefore = await readReading(link, opts.address);
    const wanted = { ...corrections(before) };
    for (const c of changes) wanted[c.field] = (c.word >= 0x8000 ? c.word - 0x10000 : c.word) / 10;
    out(`sensor at address ${opts.address} on ${opts.path}, reading ${readingBefore}`);
    for (const c of changes)
      out(
        `  ${c.name}: ${signedTenths(before[c.field])} -> ${signedTenths(wanted[c.field])} ${c.unit} (register 0x${hex(c.register)})`,
      );
    if (!log) {
      out('nothing written: run again with --yes to store these corrections');
      return false;
    }
    const entry = {
      command: 'sensor calibrate',
      device: opts.path,
      address: opts.address,
      before: corrections(before),
      requested: Object.fromEntries(changes.map((c) => [c.field, wanted[c.field]])),
      readingBefore,
    };
    try {
      for (const c of changes) await link.writeRegister(opts.address, c.register, c.word);
    } catch (err) {
      const code = err instanceof ColdtraceError ? err.code : undefined;
      log.append({ ...entry, outcome: 'write_failed', error: { code, message: errorMessage(err) } });
      throw err;
    }
    const after = await readSetup(link);
    const readingAfter = await readReading(link, opts.address);
    const wrong = changes.filter((c) => after[c.field] !== wanted[c.field]);
    log.append({
      ...entry,
      outcome: wrong.length === 0 ? 'verified' : 'verify_failed',
      after: corrections(after),
      readingAfter,
    });
    if (wrong.length > 0)
      throw new ColdtraceError(
        'sensor_verify_failed',
        `address ${opts.address} acknowledged the write but reads back ${wrong
          .map(
            (c) =>
              `${c.name} ${signedTenths(after[c.field])} ${c.unit} (written ${signedTenths(wanted[c.field])})`,
          )
          .join(
            ', ',
          )}: it does not store corrections at these registers (is it an XY-MD02?); logged in ${log.path}`,
      );
    out(
      `address ${opts.address}: stored and read back: temperature correction ${signedTenths(after.tempOffsetC)} °C, humidity correction ${signedTenths(after.rhOffset)} %RH; reading now ${readingAfter}`,
    );
    out(`logged in ${log.path}`);
    out(
      "the gateway adds a sensor's calibrationOffsetC from its config on top of this: keep it 0 for this sensor unless both are meant",
    );
    return true;
  }
}

function hex(n: number): string {
  return n.toString(16).padStart(4, '0');
}
