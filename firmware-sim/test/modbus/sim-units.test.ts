import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc16, crcOk, withCrc } from '../../src/modbus/crc16.js';
import { sampleProfile, simProfileSchema } from '../../src/modbus/profiles.js';
import { rawToWords, XY_MD02_SIM_MAP } from '../../src/modbus/register-encoding.js';
import { RtuFramer } from '../../src/modbus/rtu-framer.js';
import { answerRequest } from '../../src/modbus/rtu-responder.js';
import { charTimeMs, exchangeMs, t35Ms } from '../../src/modbus/wire-time.js';
import { seededRandom } from '../../src/rng.js';

const req = (addr: number, fc: number, start: number, qty: number) =>
  withCrc(Buffer.from([addr, fc, start >> 8, start & 0xff, qty >> 8, qty & 0xff]));

describe('CRC-16/MODBUS', () => {
  it('matches the check value and a spec frame', () => {
    expect(crc16(Buffer.from('123456789'))).toBe(0x4b37); // CRC catalogue check value
    // Modbus over serial line V1.02 Appendix B example frame: 01 04 00 01 00 02 → CRC 20 0B
    expect([...req(1, 4, 1, 2).subarray(6)]).toEqual([0x20, 0x0b]);
  });
  it('detects any single flipped bit', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 2, maxLength: 40 }), fc.nat(), (payload, bit) => {
        const f = withCrc(payload);
        expect(crcOk(f)).toBe(true);
        const i = bit % (f.length * 8);
        f[i >> 3]! ^= 1 << (i & 7);
        expect(crcOk(f)).toBe(false);
      }),
    );
  });
});

describe('RTU framer', () => {
  it('frames requests split across chunks and drops bad-CRC frames', () => {
    const frames: Buffer[] = [];
    let bad = 0;
    const f = new RtuFramer(
      (x) => frames.push(x),
      () => bad++,
    );
    const a = req(1, 4, 1, 2);
    f.push(a.subarray(0, 3));
    f.push(Buffer.concat([a.subarray(3), req(2, 3, 0, 1)]));
    expect(frames.map((x) => x[0])).toEqual([1, 2]);
    const broken = req(3, 4, 1, 2);
    broken[7]! ^= 0xff;
    f.push(broken);
    expect(bad).toBe(1);
    f.push(req(4, 4, 1, 2));
    expect(frames.map((x) => x[0])).toEqual([1, 2, 4]);
    f.stop();
  });
});

describe('responder', () => {
  const value = { kind: 'value' as const, tempC: -12.3, rh: 40.1 };
  it('answers FC 0x04 as an XY-MD02 with negative temperatures as int16', () => {
    const a = answerRequest(req(1, 4, 1, 2), XY_MD02_SIM_MAP, value);
    expect(a.kind).toBe('reply');
    if (a.kind !== 'reply') return;
    expect(crcOk(a.frame)).toBe(true);
    expect(a.frame.readInt16BE(3)).toBe(-123);
    expect(a.frame.readUInt16BE(5)).toBe(401);
  });
  it('answers exceptions 0x01 and 0x02 (Modbus Application Protocol §7)', () => {
    const f = answerRequest(withCrc(Buffer.from([1, 0x2b, 0x0e, 0x01, 0x00])), XY_MD02_SIM_MAP, value);
    expect(f.kind === 'reply' && [...f.frame.subarray(0, 3)]).toEqual([1, 0xab, 1]);
    const a = answerRequest(req(1, 4, 10, 1), XY_MD02_SIM_MAP, value);
    expect(a.kind === 'reply' && [...a.frame.subarray(0, 3)]).toEqual([1, 0x84, 2]);
    const h = answerRequest(req(1, 3, 1, 1), XY_MD02_SIM_MAP, value);
    expect(h.kind === 'reply' && [...h.frame.subarray(0, 3)]).toEqual([1, 0x83, 2]);
  });
  it('injects faults', () => {
    const fault = (f: 'no_answer' | 'corrupt_crc' | 'sentinel' | 'out_of_range') =>
      answerRequest(req(1, 4, 1, 2), XY_MD02_SIM_MAP, {
        kind: 'fault',
        fault: f,
        exceptionCode: 4,
        tempC: 5,
        rh: 50,
      });
    expect(fault('no_answer').kind).toBe('silent');
    const c = fault('corrupt_crc');
    expect(c.kind === 'reply' && crcOk(c.frame)).toBe(false);
    const s = fault('sentinel');
    expect(s.kind === 'reply' && s.frame.readUInt16BE(3)).toBe(0x7fff);
    const o = fault('out_of_range');
    expect(o.kind === 'reply' && o.frame.readInt16BE(3)).toBe(8500);
  });
  it('encodes word-swapped float32', () => {
    const spec = {
      register: 0,
      type: 'float32' as const,
      wordOrder: 'little' as const,
      byteOrder: 'big' as const,
      scale: 1,
      offset: 0,
    };
    const b = Buffer.alloc(4);
    b.writeFloatBE(-21.25);
    expect(rawToWords(-21.25, spec)).toEqual([b.readUInt16BE(2), b.readUInt16BE(0)]);
  });
});

describe('profiles', () => {
  const t = (p: unknown, ms: number) => {
    const s = sampleProfile(simProfileSchema.parse(p), ms, seededRandom(1));
    return s.kind === 'value' ? s.tempC : Number.NaN;
  };
  it('are functions of scenario time', () => {
    expect(
      t({ kind: 'compressor-failure', baseC: 4, failAtMs: 60_000, rateCPerMin: 0.5, ambientC: 20 }, 0),
    ).toBe(4);
    expect(
      t(
        { kind: 'compressor-failure', baseC: 4, failAtMs: 60_000, rateCPerMin: 0.5, ambientC: 20 },
        11 * 60_000,
      ),
    ).toBe(9);
    expect(
      t({ kind: 'compressor-failure', baseC: 4, failAtMs: 0, rateCPerMin: 1, ambientC: 20 }, 3_600_000),
    ).toBe(20);
    const d = { kind: 'defrost', baseC: -20, peakC: 0, periodMs: 6 * 3_600_000, defrostMs: 1_800_000 };
    expect(t(d, 900_000)).toBe(0);
    expect(t(d, 2 * 3_600_000)).toBe(-20);
    const door = { kind: 'door-open', baseC: 5, spikeC: 6, periodMs: 600_000, openMs: 60_000 };
    expect(t(door, 30_000)).toBe(8);
    expect(t(door, 300_000)).toBe(5);
  });
  it('are deterministic with a seed and keep noise within its amplitude', () => {
    const p = simProfileSchema.parse({ kind: 'steady', tempC: 5, noiseC: 0.3 });
    const a = seededRandom(42);
    const b = seededRandom(42);
    for (let i = 0; i < 100; i++) {
      const x = sampleProfile(p, i, a);
      expect(x).toEqual(sampleProfile(p, i, b));
      expect(x.kind === 'value' && Math.abs(x.tempC - 5)).toBeLessThanOrEqual(0.3);
    }
  });
});

describe('wire time (Modbus over Serial Line V1.02 §2.5.1)', () => {
  it('11 bits a character; the end-of-frame silence is 3.5 characters, 1.75 ms above 19,200 baud', () => {
    expect(charTimeMs(9600)).toBeCloseTo(1.1458, 4);
    expect(t35Ms(9600)).toBeCloseTo(4.0104, 4);
    expect(t35Ms(19_200)).toBeCloseTo(2.0052, 4);
    expect(t35Ms(38_400)).toBe(1.75);
  });
  it('an XY-MD02 read (8-byte request, 9-byte answer) at 9,600 baud takes about 24 ms plus the turnaround', () => {
    expect(exchangeMs(9600, 8, 9, 0)).toBeCloseTo(17 * (11_000 / 9600) + 3.5 * (11_000 / 9600), 6);
    expect(exchangeMs(9600, 8, 9, 2)).toBeCloseTo(25.49, 2);
    expect(exchangeMs(115_200, 8, 9, 0)).toBeCloseTo(17 * (11_000 / 115_200) + 1.75, 6);
  });
});
