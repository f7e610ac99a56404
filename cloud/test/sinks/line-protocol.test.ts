import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readingLine } from '../../src/sinks/influx-sink.js';
import { encodePoint, escapeKey, escapeMeasurement } from '../../src/sinks/line-protocol.js';

/** Splits a line-protocol tag set the way InfluxDB's parser does (backslash escapes). */
function parseTags(section: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  let cur = '';
  let key: string | undefined;
  const parts: string[] = [];
  for (let i = 0; i < section.length; i++) {
    const c = section[i]!;
    if (c === '\\' && i + 1 < section.length) {
      cur += section[i + 1];
      i++;
    } else if (c === ',') {
      parts.push(cur);
      cur = '';
    } else if (c === '=' && key === undefined) {
      key = cur;
      cur = '';
    } else cur += c;
    if (c === ',' && key !== undefined) {
      out.push([key, parts.pop()!]);
      key = undefined;
    }
  }
  if (key !== undefined) out.push([key, cur]);
  return out;
}

describe('line protocol encoder', () => {
  it('escapes commas, equals signs and spaces in tag keys and values', () => {
    expect(escapeKey('cold room, A=1')).toBe('cold\\ room\\,\\ A\\=1');
    expect(
      encodePoint({
        measurement: 'temperature',
        tags: { location: 'cold room, A=1', gateway: 'gw-1' },
        fields: { temp_c: 4.5 },
        ts: 1700000000000,
      }),
    ).toBe('temperature,gateway=gw-1,location=cold\\ room\\,\\ A\\=1 temp_c=4.5 1700000000000');
  });

  it('escapes measurement names (commas and spaces, not equals signs)', () => {
    expect(escapeMeasurement('temp, room=x')).toBe('temp\\,\\ room=x');
  });

  it('writes integers with i, floats plainly, strings quoted, and leaves out null fields and empty tags', () => {
    expect(
      encodePoint({
        measurement: 'm',
        tags: { a: '', b: undefined, c: 'x' },
        fields: { f: -0.25, n: null, i: { int: 42 }, s: 'say "hi" \\', b: true },
        ts: 1,
      }),
    ).toBe('m,c=x f=-0.25,i=42i,s="say \\"hi\\" \\\\",b=true 1');
  });

  it('rejects newlines, points without fields, and non-finite values with clear errors', () => {
    expect(() => encodePoint({ measurement: 'm', tags: { a: 'x\ny' }, fields: { f: 1 }, ts: 1 })).toThrow(
      /newline/,
    );
    expect(() => encodePoint({ measurement: 'm', tags: {}, fields: { f: null }, ts: 1 })).toThrow(
      /at least one field/,
    );
    expect(() => encodePoint({ measurement: 'm', tags: {}, fields: { f: Number.NaN }, ts: 1 })).toThrow(
      /not finite/,
    );
    expect(() => encodePoint({ measurement: 'm', tags: {}, fields: { f: 1 }, ts: 1.5 })).toThrow(/timestamp/);
  });

  it('round-trips any printable tag value through the escaping (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 20 }).filter((s) => !/[\r\n\\]/.test(s)),
        fc.string({ minLength: 1, maxLength: 20 }).filter((s) => !/[\r\n\\]/.test(s)),
        (a, b) => {
          const line = encodePoint({ measurement: 'm', tags: { a, b }, fields: { f: 1 }, ts: 5 });
          // measurement, then the tag set up to the first unescaped space
          const m = /^m,((?:\\.|[^ \\])*) f=1 5$/.exec(line);
          expect(m).not.toBeNull();
          expect(parseTags(m![1]!)).toEqual([
            ['a', a],
            ['b', b],
          ]);
        },
      ),
    );
  });

  it('encodes a stored reading as measurement temperature with the four tags and three fields', () => {
    expect(
      readingLine('temperature', {
        id: 1,
        gateway_id: 'gw-1',
        seq: 7,
        sensor_id: 's1',
        location_id: 'room-1',
        ts: 1700000000123,
        temp_c: 5.5,
        rh: 40,
        quality: 'ok',
      }),
    ).toBe(
      'temperature,gateway=gw-1,location=room-1,quality=ok,sensor=s1 temp_c=5.5,rh=40,seq=7i 1700000000123',
    );
    // A sensor-error reading has no temperature: the point keeps quality and seq.
    expect(
      readingLine('temperature', {
        id: 2,
        gateway_id: 'gw-1',
        seq: 8,
        sensor_id: 's1',
        location_id: 'room-1',
        ts: 1700000000124,
        temp_c: null,
        rh: null,
        quality: 'timeout',
      }),
    ).toBe('temperature,gateway=gw-1,location=room-1,quality=timeout,sensor=s1 seq=8i 1700000000124');
    // The reading is gone from the store: nothing to send.
    expect(
      readingLine('temperature', {
        id: 3,
        gateway_id: 'gw-1',
        seq: 9,
        sensor_id: null,
        location_id: null,
        ts: null,
        temp_c: null,
        rh: null,
        quality: null,
      }),
    ).toBeNull();
  });
});
