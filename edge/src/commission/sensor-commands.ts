import { ColdtraceError } from '@coldtrace/shared';
import { openSensorLink, type SensorLink, type SensorLinkOptions } from './sensor-link.js';
import {
  ADDRESS_REGISTER,
  BAUD_REGISTER,
  baudCode,
  decodeSetup,
  SETUP_FIRST_REGISTER,
  SETUP_REGISTER_COUNT,
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
    const [t, rh] = await link.readInput(opts.address, 1, 2);
    const signed = (w: number) => (w >= 0x8000 ? w - 0x10000 : w);
    const sign = (v: number) => `${v >= 0 ? '+' : ''}${v.toFixed(1)}`;
    out(`sensor at address ${opts.address} on ${opts.path} (XY-MD02 setup registers)`);
    out(`  stored address          ${setup.address}`);
    out(`  stored baud rate        ${setup.baudRate ?? 'unknown code'}`);
    out(`  temperature correction  ${sign(setup.tempOffsetC)} °C`);
    out(`  humidity correction     ${sign(setup.rhOffset)} %RH`);
    out(`  reading                 ${(signed(t!) / 10).toFixed(1)} °C, ${(rh! / 10).toFixed(1)} %RH`);
    if (setup.address !== opts.address || setup.baudRate !== opts.baudRate)
      out(`  the stored setup differs from the one in use: ${POWER_CYCLE}`);
  });
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
