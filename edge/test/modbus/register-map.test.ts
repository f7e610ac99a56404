import { rawToWords, toRaw } from '@coldtrace/firmware-sim';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { modbusBusConfigSchema, valueSpecSchema } from '../../src/modbus/modbus-config.js';
import { decodeValue, readPlan } from '../../src/modbus/register-map.js';

const words = (start: number, ws: number[]) => new Map(ws.map((w, i) => [start + i, w]));

describe('register decoding', () => {
  it('decodes XY-MD02 int16 × 0.1 including negatives, and type sentinels', () => {
    const t = valueSpecSchema.parse({ register: 1, type: 'int16', scale: 0.1 });
    const v = decodeValue(t, words(1, [0xff85]));
    expect(v.kind === 'value' && Math.round(v.value * 10)).toBe(-123);
    expect(decodeValue(t, words(1, [0x7fff])).kind).toBe('sentinel');
    expect(decodeValue(t, words(1, [0x8000])).kind).toBe('sentinel');
    const f = valueSpecSchema.parse({ register: 0, type: 'float32' });
    expect(decodeValue(f, words(0, [0x7fc0, 0])).kind).toBe('sentinel'); // NaN
    expect(() => decodeValue(t, words(5, [1]))).toThrow(/not read/);
  });

  it('property: decodes what an independent encoder wrote, for every type and word/byte order', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('int16', 'uint16', 'int32', 'uint32', 'float32' as const),
        fc.constantFrom('big', 'little' as const),
        fc.constantFrom('big', 'little' as const),
        fc.constantFrom(1, 0.1, 0.01),
        fc.double({ min: -40, max: 125, noNaN: true }),
        (type, wordOrder, byteOrder, scale, tempC) => {
          const spec = {
            register: 10,
            type,
            wordOrder,
            byteOrder,
            scale,
            offset: type.startsWith('u') ? -50 : 0,
          };
          const raw = toRaw(tempC, spec);
          const d = decodeValue(
            valueSpecSchema.parse({ ...spec, sentinels: [] }),
            words(10, rawToWords(raw, spec)),
          );
          expect(d.kind).toBe('value');
          if (d.kind !== 'value') return;
          const tol = type === 'float32' ? 1e-4 * Math.max(1, Math.abs(tempC)) : scale / 2 + 1e-9;
          expect(Math.abs(d.value - tempC)).toBeLessThanOrEqual(tol);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('reads close registers in one request and far ones in two', () => {
    expect(
      readPlan({
        functionCode: 4,
        temperature: valueSpecSchema.parse({ register: 1, type: 'int16' }),
        humidity: valueSpecSchema.parse({ register: 2, type: 'uint16' }),
      }),
    ).toEqual([{ start: 1, count: 2 }]);
    expect(
      readPlan({
        functionCode: 3,
        temperature: valueSpecSchema.parse({ register: 0, type: 'float32' }),
        humidity: valueSpecSchema.parse({ register: 500, type: 'uint16' }),
      }),
    ).toEqual([
      { start: 0, count: 2 },
      { start: 500, count: 1 },
    ]);
  });
});

describe('modbus config', () => {
  it('fills defaults and rejects duplicate addresses with a clear message', () => {
    const c = modbusBusConfigSchema.parse({
      id: 'b',
      path: '/dev/ttyUSB0',
      sensors: [{ id: 's', address: 1, locationId: 'l' }],
    });
    expect(c).toMatchObject({ baudRate: 9600, parity: 'none', stopBits: 1, dataBits: 8 });
    // A returning device is read again within 5 s, at once where its path can be watched; the late-reply
    // window defaults to the timeout (absent here, resolved by the bus module).
    expect(c).toMatchObject({ timeoutMs: 500, reopenMinMs: 1000, reopenMaxMs: 5000, watchPath: true });
    expect(c.lateReplyWindowMs).toBeUndefined();
    const window = (lateReplyWindowMs: number) =>
      modbusBusConfigSchema.safeParse({ id: 'b', path: '/x', lateReplyWindowMs, sensors: c.sensors }).success;
    expect([window(0), window(60_000), window(-1), window(60_001)]).toEqual([true, true, false, false]);
    expect(c.sensors[0]).toMatchObject({ profile: 'xy-md02', calibrationOffsetC: 0 });
    const bad = modbusBusConfigSchema.safeParse({
      id: 'b',
      path: '/dev/x',
      sensors: [
        { id: 'a', address: 1, locationId: 'l' },
        { id: 'b', address: 1, locationId: 'l' },
      ],
    });
    expect(bad.success).toBe(false);
    expect(bad.error?.message).toMatch(/share an address/);
    expect(
      modbusBusConfigSchema.safeParse({
        id: 'b',
        path: '/x',
        sensors: [{ id: 'a', address: 248, locationId: 'l' }],
      }).success,
    ).toBe(false);
  });
});
