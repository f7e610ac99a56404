import { withCrc } from './crc16.js';
import type { SimSample } from './profiles.js';
import {
  rawToWords,
  registerCount,
  type SimRegisterMap,
  type SimValueSpec,
  toRaw,
} from './register-encoding.js';
import { type SensorSetup, setupWords, writeSetup } from './setup-registers.js';

/** Modbus Application Protocol V1.1b3 §7: exception codes used here. */
export const EXC_ILLEGAL_FUNCTION = 0x01;
export const EXC_ILLEGAL_DATA_ADDRESS = 0x02;
export const EXC_ILLEGAL_DATA_VALUE = 0x03;

/** Temperature sent for the `out_of_range` fault: beyond any sensor's physical range. */
export const OUT_OF_RANGE_C = 850;

export type Answer =
  | {
      kind: 'reply';
      frame: Buffer;
      exception?: number;
      /** The stored setup after an accepted FC 0x06 write. */
      stored?: SensorSetup;
    }
  | { kind: 'silent' };

/**
 * The answer of one slave to one CRC-checked request frame, given its current sample and, for a device
 * with setup registers (`setup-registers.ts`), its stored `setup`: read with FC 0x03, written with
 * FC 0x06; its temperature and humidity corrections are added to the sample.
 * Modbus Application Protocol V1.1b3 §6.3 (0x03), §6.4 (0x04), §6.6 (0x06).
 */
export function answerRequest(
  frame: Buffer,
  map: SimRegisterMap,
  sample: SimSample,
  setup?: SensorSetup,
): Answer {
  const addr = frame[0]!;
  const fc = frame[1]!;
  if (sample.kind === 'fault' && sample.fault === 'no_answer') return { kind: 'silent' };
  const exception = (code: number): Answer => ({
    kind: 'reply',
    frame: withCrc(Buffer.from([addr, fc | 0x80, code])),
    exception: code,
  });
  if (sample.kind === 'fault' && sample.fault === 'exception') return exception(sample.exceptionCode);
  if (fc === 6 && setup) {
    const written = writeSetup(setup, frame.readUInt16BE(2), frame.readUInt16BE(4));
    if ('exception' in written) return exception(written.exception);
    // §6.6: the normal response is an echo of the request.
    return { kind: 'reply', frame: garbled(Buffer.from(frame), sample), stored: written.setup };
  }
  if (fc !== 3 && fc !== 4) return exception(EXC_ILLEGAL_FUNCTION);
  const start = frame.readUInt16BE(2);
  const qty = frame.readUInt16BE(4);
  if (qty < 1 || qty > 125) return exception(EXC_ILLEGAL_DATA_VALUE);
  const corrected = setup ? correctedSample(sample, setup) : sample;
  const table = fc === map.functionCode ? registerTable(map, corrected) : new Map<number, number>();
  if (fc === 3 && setup) for (const [r, w] of setupWords(setup)) table.set(r, w);
  const words: number[] = [];
  for (let r = start; r < start + qty; r++) {
    const w = table.get(r);
    if (w === undefined) return exception(EXC_ILLEGAL_DATA_ADDRESS);
    words.push(w);
  }
  const body = Buffer.alloc(3 + 2 * qty);
  body[0] = addr;
  body[1] = fc;
  body[2] = 2 * qty;
  words.forEach((w, i) => {
    body.writeUInt16BE(w, 3 + 2 * i);
  });
  return { kind: 'reply', frame: garbled(withCrc(body), sample) };
}

/** The answer as the `corrupt_crc` fault sends it: with a wrong CRC (the frame itself when no fault). */
function garbled(out: Buffer, sample: SimSample): Buffer {
  if (sample.kind === 'fault' && sample.fault === 'corrupt_crc') {
    out[out.length - 1]! ^= 0xa5;
    out[out.length - 2]! ^= 0x5a;
  }
  return out;
}

/** The measurement with the device's temperature and humidity corrections added. */
function correctedSample(sample: SimSample, s: SensorSetup): SimSample {
  return { ...sample, tempC: sample.tempC + s.tempOffsetC, rh: sample.rh + s.rhOffset };
}

function registerTable(map: SimRegisterMap, sample: SimSample): Map<number, number> {
  const table = new Map<number, number>();
  const put = (spec: SimValueSpec, words: number[]) => {
    words.forEach((w, i) => {
      table.set(spec.register + i, w);
    });
  };
  let tempWords: number[];
  if (sample.kind === 'fault' && sample.fault === 'sentinel') tempWords = sentinelWords(map.temperature);
  else {
    const t = sample.kind === 'fault' && sample.fault === 'out_of_range' ? OUT_OF_RANGE_C : sample.tempC;
    tempWords = rawToWords(toRaw(t, map.temperature), map.temperature);
  }
  put(map.temperature, tempWords);
  if (map.humidity) put(map.humidity, rawToWords(toRaw(sample.rh, map.humidity), map.humidity));
  return table;
}

/** The "no valid measurement" value such modules send: the type's extreme, or a NaN float. */
function sentinelWords(spec: SimValueSpec): number[] {
  const raw =
    spec.type === 'int16'
      ? 0x7fff
      : spec.type === 'uint16'
        ? 0xffff
        : spec.type === 'int32'
          ? 0x7fffffff
          : spec.type === 'uint32'
            ? 0xffffffff
            : Number.NaN;
  const words = rawToWords(raw, spec);
  return words.length === registerCount(spec.type) ? words : words.slice(0, registerCount(spec.type));
}
