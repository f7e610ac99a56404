import { describe, expect, it } from 'vitest';
import { readingsBatchSchema } from '../src/batch.js';
import {
  commandTopic,
  decodeGatewayPayload,
  encodeGatewayPayload,
  eventTopic,
  GATEWAY_TOPIC_NAMES,
  gatewayFilter,
  gatewayRoot,
  gatewayTopic,
  gatewayTopics,
  MAX_PAYLOAD_BYTES,
  parseTopic,
  TOPIC_STREAM,
} from '../src/contract.js';
import { idSchema } from '../src/ids.js';
import { movementSchema, readingSchema } from '../src/records.js';

const TS = 1_700_000_000_000;
const reading = (seq: number, over: Record<string, unknown> = {}) => ({
  seq,
  sensorId: 'probe-1',
  locationId: 'coldroom-1',
  ts: TS + seq * 1000,
  tempC: 5.2,
  quality: 'ok',
  ...over,
});
const batch = (records: unknown[], over: Record<string, unknown> = {}) => ({
  gatewayId: 'gw-1',
  firstSeq: 1,
  lastSeq: records.length,
  sentAt: TS + 60_000,
  records,
  ...over,
});

const BAD_IDS = ['', 'a/b', 'a+b', 'a#b', 'a b', ' a', 'a\n', '-a', 'x'.repeat(65), 'ü'];

describe('topics', () => {
  it('builds and parses every gateway topic', () => {
    for (const name of GATEWAY_TOPIC_NAMES) {
      const t = gatewayTopic('gw-1', name);
      expect(t).toBe(`coldtrace/v1/gw/gw-1/${name}`);
      expect(parseTopic(t)).toEqual({ kind: 'gateway', gatewayId: 'gw-1', name });
      expect(t.startsWith(gatewayRoot('gw-1'))).toBe(true);
    }
  });

  it('declares readings-live as the readings stream: same schema, QoS 1, not retained', () => {
    expect(gatewayTopics['readings-live']).toEqual({ schema: readingsBatchSchema, qos: 1, retain: false });
    expect(gatewayTopics['readings-live'].schema).toBe(gatewayTopics.readings.schema);
    expect(TOPIC_STREAM['readings-live']).toBe('readings');
    expect(parseTopic('coldtrace/v1/gw/gw.A:1/readings-live')).toEqual({
      kind: 'gateway',
      gatewayId: 'gw.A:1',
      name: 'readings-live',
    });
    // Every other topic is its own stream.
    for (const name of GATEWAY_TOPIC_NAMES)
      if (name !== 'readings-live') expect(TOPIC_STREAM[name]).toBe(name);
  });

  it('names every gateway topic with one topic level and one RabbitMQ routing word', () => {
    // The MQTT plugin turns `/` into `.` and `+` into `*`: a name holding . / * + # would not be one word.
    for (const name of GATEWAY_TOPIC_NAMES) expect(name).toMatch(/^[a-z][a-z-]*$/);
  });

  it('builds and parses command and event topics', () => {
    expect(commandTopic('gw.A:1', 'reload')).toBe('coldtrace/v1/gw/gw.A:1/cmd/reload');
    expect(parseTopic('coldtrace/v1/gw/gw.A:1/cmd/reload')).toEqual({
      kind: 'command',
      gatewayId: 'gw.A:1',
      command: 'reload',
    });
    expect(eventTopic('lock')).toBe('coldtrace/v1/events/lock');
    expect(parseTopic('coldtrace/v1/events/lock')).toEqual({ kind: 'event', event: 'lock' });
  });

  it('builds subscription filters, optionally shared', () => {
    expect(gatewayFilter('readings')).toBe('coldtrace/v1/gw/+/readings');
    expect(gatewayFilter('+')).toBe('coldtrace/v1/gw/+/+');
    expect(gatewayFilter('status', 'coldtrace')).toBe('$share/coldtrace/coldtrace/v1/gw/+/status');
  });

  it('accepts a 64-character id and rejects 65', () => {
    expect(() => gatewayTopic('x'.repeat(64), 'status')).not.toThrow();
    expect(() => gatewayTopic('x'.repeat(65), 'status')).toThrow(TypeError);
  });

  it.each(BAD_IDS.map((id) => [JSON.stringify(id), id]))('rejects the id %s', (_label, id) => {
    expect(() => gatewayTopic(id, 'readings')).toThrow(/not a valid topic id/);
    expect(() => gatewayRoot(id)).toThrow(TypeError);
    expect(() => commandTopic(id, 'reload')).toThrow(TypeError);
    expect(() => commandTopic('gw-1', id)).toThrow(TypeError);
    expect(() => eventTopic(id)).toThrow(TypeError);
    expect(idSchema.safeParse(id).success).toBe(false);
  });

  it.each([
    'coldtrace/v1/gw/gw-1/unknown',
    'coldtrace/v1/gw/gw-1/readings/extra',
    'coldtrace/v1/gw/+/readings',
    'coldtrace/v1/gw/#',
    'coldtrace/v1/gw//readings',
    'coldtrace/v2/gw/gw-1/readings',
    'other/v1/gw/gw-1/readings',
    'coldtrace/v1/gw/gw-1/cmd/',
    'coldtrace/v1/gw/gw-1/cmd/a/b',
    'coldtrace/v1/events/',
    'coldtrace/v1/events/a b',
    '',
  ])('parseTopic(%j) is null', (topic) => {
    expect(parseTopic(topic)).toBeNull();
  });

  // A past defect in contract.ts: `parts[4]! in gatewayTopics` also matched inherited Object.prototype
  // keys, so `.../gw/gw-1/toString` parsed as a gateway topic and decodeGatewayPayload then threw on
  // `gatewayTopics['toString'].schema` (a crash instead of a dead letter). Fixed with `Object.hasOwn(gatewayTopics,
  // parts[4]!)`; these cases keep it fixed.
  it.each(['toString', 'constructor', 'hasOwnProperty', '__proto__'])(
    'parseTopic of an Object.prototype key %j is null',
    (name) => {
      expect(parseTopic(`coldtrace/v1/gw/gw-1/${name}`)).toBeNull();
    },
  );
});

describe('decodeGatewayPayload', () => {
  it('decodes a valid readings batch (string and bytes)', () => {
    const payload = JSON.stringify(batch([reading(1), reading(2)]));
    const r = decodeGatewayPayload('readings', 'gw-1', payload);
    expect(r.ok && r.value.records).toHaveLength(2);
    expect(decodeGatewayPayload('readings', 'gw-1', new TextEncoder().encode(payload)).ok).toBe(true);
  });

  it('refuses a payload over the size limit before parsing it', () => {
    const big = new Uint8Array(MAX_PAYLOAD_BYTES + 1);
    const r = decodeGatewayPayload('readings', 'gw-1', big);
    expect(r).toMatchObject({ ok: false, code: 'payload_too_large' });
    // The limit counts bytes, not characters.
    const multiByte = 'é'.repeat(MAX_PAYLOAD_BYTES / 2 + 1);
    expect(decodeGatewayPayload('status', 'gw-1', multiByte)).toMatchObject({ code: 'payload_too_large' });
  });

  it.each(['', '{', 'not json', '{"a":1}}', '\uFEFF'])('reports malformed JSON %j', (payload) => {
    expect(decodeGatewayPayload('readings', 'gw-1', payload)).toMatchObject({
      ok: false,
      code: 'malformed_json',
    });
  });

  it('reports a schema violation with a reason naming the path', () => {
    const r = decodeGatewayPayload(
      'readings',
      'gw-1',
      JSON.stringify(batch([reading(1, { tempC: 'warm' })])),
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.code).toBe('schema_violation');
    expect(r.reason).toMatch(/^records\.0\.tempC: /);
  });

  it('reports unknown keys and the root path', () => {
    const extra = decodeGatewayPayload('readings', 'gw-1', JSON.stringify({ ...batch([reading(1)]), x: 1 }));
    expect(extra).toMatchObject({ code: 'schema_violation' });
    expect(!extra.ok && extra.reason).toContain('x');
    const root = decodeGatewayPayload('status', 'gw-1', '[]');
    expect(root).toMatchObject({ code: 'schema_violation' });
    expect(!root.ok && root.reason).toMatch(/^\(root\): /);
  });

  it('accepts a batch with or without the buffer epoch, and only a well-formed one', () => {
    for (const name of ['readings', 'alarms'] as const) {
      const records = name === 'readings' ? [reading(1)] : [];
      const plain =
        name === 'readings' ? batch(records) : batch([], { lastSeq: 1, thinned: [{ from: 1, to: 1 }] });
      expect(decodeGatewayPayload(name, 'gw-1', JSON.stringify(plain)).ok).toBe(true);
      const withEpoch = decodeGatewayPayload(
        name,
        'gw-1',
        JSON.stringify({ ...plain, epoch: '0f1e2d3c4b5a6978' }),
      );
      expect(withEpoch.ok && withEpoch.value.epoch).toBe('0f1e2d3c4b5a6978');
      for (const bad of ['0F1E2D3C4B5A6978', '0f1e2d3c', 42, null]) {
        expect(decodeGatewayPayload(name, 'gw-1', JSON.stringify({ ...plain, epoch: bad }))).toMatchObject({
          code: 'schema_violation',
        });
      }
    }
  });

  it('refuses a payload naming another gateway', () => {
    const r = decodeGatewayPayload('readings', 'gw-2', JSON.stringify(batch([reading(1)])));
    expect(r).toMatchObject({ ok: false, code: 'gateway_mismatch' });
    expect(!r.ok && r.reason).toContain('"gw-1"');
  });

  it('decodes a status', () => {
    const status = { gatewayId: 'gw-1', state: 'offline', ts: TS, reason: 'last_will' };
    expect(decodeGatewayPayload('status', 'gw-1', JSON.stringify(status))).toEqual({
      ok: true,
      value: status,
    });
  });

  it('decodes a status with scan stations and the scan page, and refuses malformed ones', () => {
    const dock = {
      stationId: 'dock-1',
      source: 'serial',
      locationId: 'bay',
      direction: 'receiving',
      state: 'open',
      lastScanTs: TS,
      scans: 3,
      refused: { barcode_check_digit: 1 },
      lastError: 'barcode_check_digit: check digit 4, expected 3',
    };
    const status = {
      gatewayId: 'gw-1',
      state: 'online',
      ts: TS,
      scanStations: [dock, { ...dock, stationId: 'fridge-2', source: 'page', state: 'closed', refused: {} }],
      scanPage: { state: 'serving', host: '127.0.0.1', port: 8088 },
    };
    expect(decodeGatewayPayload('status', 'gw-1', JSON.stringify(status))).toEqual({
      ok: true,
      value: status,
    });
    const bad = (over: object, path: string) => {
      const r = decodeGatewayPayload(
        'status',
        'gw-1',
        JSON.stringify({ ...status, scanStations: [{ ...dock, ...over }] }),
      );
      expect(r).toMatchObject({ ok: false, code: 'schema_violation' });
      expect(!r.ok && r.reason).toContain(path);
    };
    bad({ direction: 'sideways' }, 'scanStations.0.direction');
    bad({ state: 'busy' }, 'scanStations.0.state');
    bad({ refused: { 'Not A Code': 1 } }, 'scanStations.0.refused');
    bad({ scans: -1 }, 'scanStations.0.scans');
    bad({ extra: 1 }, 'scanStations.0');
    const page = decodeGatewayPayload(
      'status',
      'gw-1',
      JSON.stringify({ ...status, scanPage: { state: 'serving', host: '127.0.0.1', port: 0 } }),
    );
    expect(!page.ok && page.reason).toMatch(/^scanPage\.port: /);
  });

  it('encodeGatewayPayload validates before encoding', () => {
    const b = batch([reading(1)]);
    expect(JSON.parse(encodeGatewayPayload('readings', b as never))).toEqual(b);
    expect(() => encodeGatewayPayload('readings', batch([reading(2)]) as never)).toThrow(
      /violates the contract/,
    );
  });
});

describe('batch coverage: records ∪ thinned cover firstSeq..lastSeq exactly once', () => {
  const check = (b: unknown) => {
    const r = readingsBatchSchema.safeParse(b);
    return r.success ? 'ok' : r.error.issues.map((i) => i.message).join('; ');
  };
  it.each([
    ['contiguous records', batch([reading(1), reading(2), reading(3)]), 'ok'],
    ['records out of order', batch([reading(3), reading(1), reading(2)]), 'ok'],
    [
      'thinned fills the middle',
      batch([reading(1), reading(5)], { lastSeq: 5, thinned: [{ from: 2, to: 4 }] }),
      'ok',
    ],
    ['only thinned', batch([], { firstSeq: 3, lastSeq: 9, thinned: [{ from: 3, to: 9 }] }), 'ok'],
    ['a hole', batch([reading(1), reading(3)], { lastSeq: 3 }), 'sequences 2..2 are neither'],
    ['a hole at the start', batch([reading(2)], { lastSeq: 2 }), 'sequences 1..1 are neither'],
    ['a duplicate', batch([reading(1), reading(1)], { lastSeq: 1 }), 'sequence 1 appears twice'],
    [
      'thinned overlaps a record',
      batch([reading(1), reading(2)], { lastSeq: 3, thinned: [{ from: 2, to: 3 }] }),
      'appears twice',
    ],
    ['lastSeq beyond the records', batch([reading(1)], { lastSeq: 2 }), 'covers up to 1 but lastSeq is 2'],
    [
      'a record beyond lastSeq',
      batch([reading(1), reading(2)], { lastSeq: 1 }),
      'covers up to 2 but lastSeq is 1',
    ],
    ['firstSeq after lastSeq', batch([reading(1)], { firstSeq: 2, lastSeq: 1 }), 'firstSeq must not exceed'],
    ['empty', batch([], { firstSeq: 1, lastSeq: 1 }), 'at least one record'],
    [
      'inverted thinned range',
      batch([reading(1)], { lastSeq: 1, thinned: [{ from: 3, to: 2 }] }),
      'from must not',
    ],
    ['seq 0', batch([reading(0)], { firstSeq: 0, lastSeq: 0 }), 'expected number to be >=1'],
  ])('%s', (_name, b, want) => {
    const got = check(b);
    if (want === 'ok') expect(got).toBe('ok');
    else expect(got).toContain(want);
  });
});

describe('reading rule: quality ok ⇔ tempC is a number', () => {
  it.each([
    [{}, true],
    [{ quality: 'timeout', tempC: null }, true],
    [{ quality: 'ok', tempC: null }, false],
    [{ quality: 'crc_error', tempC: 4 }, false],
    [{ tempC: -100 }, true],
    [{ tempC: -100.1 }, false],
    [{ tempC: 200.1 }, false],
    [{ rh: 101 }, false],
    [{ rh: null }, true],
    [{ quality: 'bogus', tempC: null }, false],
    [{ ts: TS + 0.5 }, false],
    [{ ts: 1_000 }, false], // seconds instead of milliseconds
  ])('%o → valid %s', (over, valid) => {
    expect(readingSchema.safeParse(reading(1, over)).success).toBe(valid);
  });
});

describe('movement rules', () => {
  const pass = {
    seq: 1,
    epc: '3074257BF7194E4000001A85',
    portalId: 'dock-1',
    kind: 'pass',
    from: 'yard',
    to: 'coldroom-1',
    direction: 'in',
    ts: TS + 500,
    firstSeen: TS,
    lastSeen: TS + 1000,
    reads: 12,
    peakRssi: -48,
  };
  const presence = { ...pass, kind: 'presence', from: null, direction: null };
  it.each([
    ['a pass', pass, true],
    ['a presence', presence, true],
    ['a pass without from', { ...pass, from: null }, false],
    ['a pass without direction', { ...pass, direction: null }, false],
    ['a presence with from', { ...presence, from: 'yard' }, false],
    ['a presence with direction', { ...presence, direction: 'out' }, false],
    ['ts at firstSeen', { ...pass, ts: TS }, true],
    ['ts at lastSeen', { ...pass, ts: TS + 1000 }, true],
    ['ts before firstSeen', { ...pass, ts: TS - 1 }, false],
    ['ts after lastSeen', { ...pass, ts: TS + 1001 }, false],
    ['lastSeen before firstSeen', { ...pass, firstSeen: TS + 2000 }, false],
    ['lower-case EPC', { ...pass, epc: pass.epc.toLowerCase() }, false],
    ['EPC of an odd number of words', { ...pass, epc: '3074257BF7194E4000001A' }, false],
    ['zero reads', { ...pass, reads: 0 }, false],
    ['RSSI outside a signed byte', { ...pass, peakRssi: -129 }, false],
  ])('%s → valid %s', (_name, m, valid) => {
    expect(movementSchema.safeParse(m).success).toBe(valid);
  });

  it('names the rule that failed', () => {
    const r = movementSchema.safeParse({ ...pass, from: null });
    expect(r.error?.issues[0]).toMatchObject({
      path: ['kind'],
      message: expect.stringContaining('a pass needs'),
    });
  });
});
