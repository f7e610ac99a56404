import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pageAnswer, pageAnswerJson } from '../../../src/http/list-page.js';
import { readingView } from '../../../src/http/views.js';
import { type OpenedDatabase, openDatabase } from '../../../src/store/db.js';
import type { KeyValues } from '../../../src/store/queries/keyset.js';
import {
  pageReadingsJson,
  type ReadingListQuery,
  readingPageQuery,
} from '../../../src/store/queries/list-readings.js';
import { recordPage } from '../../../src/store/queries/record-time-order.js';
import { rowJsonTemplate } from '../../../src/store/queries/row-json-template.js';
import {
  centiJson,
  sensorPageStatement,
  sqliteSensorPage,
} from '../../../src/store/queries/sqlite-sensor-readings.js';
import type { ReadingsTable } from '../../../src/store/schema.js';

const T0 = Date.UTC(2026, 0, 1);
const MIN = 60_000;
/** Values the view decodes from the 0.01 column, from the fallback column, or as null. */
const TEMPS = [5, 4.55, -0.07, 0.1 + 0.2, 400.25, -0, 1e-7, null, 327.67, -327.68, 2.675];

/**
 * A sensor's pages on SQLite read from `reading_rows` (`sqliteSensorPage`) are, byte for byte, the pages
 * the view `readings` answers (`readingPageQuery` over the sensor's locations, the path it replaces):
 * the same rows in (ts, gateway id, seq) order, the same values and the same next cursor, for a sensor
 * that moved between locations and back, two gateways relaying it at the same times, windows, page sizes
 * and cursors anywhere (ids that no row has included).
 */
describe("a sensor's readings page from reading_rows (SQLite)", () => {
  let opened: OpenedDatabase;
  let seq = 0;
  const insert = (gateway_id: string, sensor_id: string, location_id: string, m: number) => {
    const temp_c = TEMPS[(seq + m) % TEMPS.length]!;
    return {
      gateway_id,
      seq: ++seq,
      sensor_id,
      location_id,
      ts: T0 + m * MIN,
      temp_c,
      rh: m % 3 === 0 ? null : 40 + m / 7,
      quality: temp_c === null ? 'sensor_error' : 'ok',
      received_at: T0 + m * MIN + (m % 5) * 1000,
    };
  };

  beforeAll(async () => {
    opened = await openDatabase(':memory:');
    // Gateway keys by first sight: gw-m, gw-c, gw-x (keys 1, 2, 3). `moved` is relayed by gw-m and gw-x,
    // whose keys rise with their ids; `crossed` by gw-m and gw-c, whose keys do not (gw-c < gw-m).
    const rows = [];
    for (let m = 0; m < 60; m++) {
      const at = m < 15 ? 'truck' : m < 30 ? 'room' : m < 45 ? 'truck' : 'dock';
      rows.push(insert('gw-m', 'moved', at, m));
      rows.push(insert('gw-m', 'other', at, m));
      if (m === 0) rows.push(insert('gw-c', 'crossed', 'room', m));
      if (m % 4 === 0) rows.push(insert('gw-x', 'moved', m % 8 === 0 ? at : 'room', m));
      if (m % 5 === 0) rows.push(insert('gw-m', 'crossed', 'room', m), insert('gw-c', 'crossed', 'room', m));
    }
    for (let i = 0; i < rows.length; i += 100)
      await opened.db
        .insertInto('readings')
        .values(rows.slice(i, i + 100))
        .execute();
  });
  afterAll(async () => {
    await opened?.close();
  });

  /**
   * The body GET /readings answered through the view: the sensor's locations from location_sensors, as
   * the view path of pageReadingsJson reads them, and Fastify's JSON of `{ items, nextCursor }`.
   */
  const viewBody = async (q: ReadingListQuery & { sensorId: string }) => {
    const at = await opened.db
      .selectFrom('location_sensors')
      .select('location_id')
      .distinct()
      .where('sensor_id', '=', q.sensorId)
      .execute();
    const sensorLocations = at.map((r) => r.location_id);
    const page = recordPage(await readingPageQuery(opened.db, { ...q, sensorLocations }).execute(), q.limit);
    return JSON.stringify(pageAnswer(page.items.map(readingView), page.next));
  };
  /** The body it answers now. */
  const fastBody = async (q: ReadingListQuery) => {
    const page = await pageReadingsJson(opened.db, q, readingView, opened.sqlite);
    return pageAnswerJson(page.json, page.next);
  };
  const template = rowJsonTemplate(readingView)!;

  it('reads the rows directly for a sensor whose relays keep key order, the view otherwise', async () => {
    const q = { sensorId: 'moved', limit: 1000 };
    for (const sensorId of ['moved', 'crossed', 'other', 'nobody'])
      expect(await fastBody({ ...q, sensorId }), sensorId).toBe(await viewBody({ ...q, sensorId }));
    const moved = JSON.parse(sqliteSensorPage(opened.sqlite!, q, template)!.json) as Array<
      ReturnType<typeof readingView>
    >;
    expect(moved).toHaveLength(75);
    expect(new Set(moved.map((r) => r.locationId))).toEqual(new Set(['truck', 'room', 'dock']));
    expect(new Set(moved.map((r) => r.gatewayId))).toEqual(new Set(['gw-m', 'gw-x']));
    expect(sqliteSensorPage(opened.sqlite!, { ...q, sensorId: 'crossed' }, template)).toBeUndefined();
    expect(sqliteSensorPage(opened.sqlite!, { ...q, sensorId: 'nobody' }, template)).toEqual({
      json: '[]',
      next: null,
    });
  });

  it('takes the view path for a view whose JSON a statement cannot write', async () => {
    const [row] = await readingPageQuery(opened.db, { limit: 1 }).execute();
    expect(template.names).toEqual(Object.keys(readingView(row!)));
    const views: Array<(r: ReadingsTable) => unknown> = [
      (r: ReadingsTable) => ({ at: String(r.ts), seq: r.seq }),
      (r: ReadingsTable) => ({ ts: r.ts, rh: r.rh ?? 0 }),
      (r: ReadingsTable) => ({ ts: r.ts, again: r.ts }),
      (r: ReadingsTable) => [r.ts],
    ];
    for (const view of views) {
      expect(rowJsonTemplate(view)).toBeUndefined();
      const q = { sensorId: 'moved', limit: 10 };
      const page = await pageReadingsJson(opened.db, q, view, opened.sqlite);
      const through = recordPage(
        await readingPageQuery(opened.db, { ...q, sensorLocations: ['truck', 'room', 'dock'] }).execute(),
        q.limit,
      );
      expect(page.json).toBe(JSON.stringify(through.items.map(view)));
    }
  });

  it('writes a 0.01 value as JavaScript writes it, for every value the column holds', () => {
    const texts = opened
      .sqlite!.prepare(
        `WITH RECURSIVE c(v) AS (SELECT -32768 UNION ALL SELECT v + 1 FROM c WHERE v < 32767)
         SELECT '' || ${centiJson('v')} FROM c`,
      )
      .pluck()
      .all() as string[];
    expect(texts).toHaveLength(65536);
    const wrong = texts.filter((t, i) => t !== JSON.stringify((i - 32768) / 100));
    expect(wrong).toEqual([]);
  });

  it('answers the same bytes for every window, page size and cursor', async () => {
    const all = (
      JSON.parse(await viewBody({ sensorId: 'moved', limit: 1000 })) as {
        items: Array<ReturnType<typeof readingView>>;
      }
    ).items;
    const keys: KeyValues[] = all.map((r) => [r.ts, r.gatewayId, r.seq]);
    // Cursors between and around the rows' keys, with gateway ids no row has.
    for (const [ts, gw] of [
      [T0 + 8 * MIN, 'gw-a'],
      [T0 + 8 * MIN, 'gw-n'],
      [T0 + 8 * MIN, 'gw-z'],
      [T0 + 16 * MIN + 1, 'gw-m'],
      [T0 - 1, 'gw-m'],
    ] as const)
      keys.push([ts, gw, 0], [ts, gw, 10_000]);
    const windows = [
      {},
      { fromTs: T0 + 12 * MIN },
      { toTs: T0 + 40 * MIN },
      { fromTs: T0 + 14 * MIN, toTs: T0 + 33 * MIN + 1 },
    ];
    let compared = 0;
    for (const window of windows)
      for (const limit of [1, 2, 3, 7, 1000])
        for (const after of [undefined, ...keys]) {
          const q = { sensorId: 'moved', ...window, after, limit };
          expect(await fastBody(q), JSON.stringify(q)).toBe(await viewBody(q));
          compared++;
        }
    expect(compared).toBe(windows.length * 5 * (keys.length + 1));
    // Paging to the end with each size returns every row once, in order.
    for (const limit of [1, 4, 9]) {
      const seen: unknown[] = [];
      let after: KeyValues | undefined;
      do {
        const page = await pageReadingsJson(
          opened.db,
          { sensorId: 'moved', after, limit },
          readingView,
          opened.sqlite,
        );
        seen.push(...(JSON.parse(page.json) as unknown[]));
        after = page.next ?? undefined;
      } while (after);
      expect(JSON.stringify(seen)).toBe(JSON.stringify(all));
    }
  });

  it("reads each location's range of the clustered key in order, merged without a sort", () => {
    const at = (key: number): [number, string] => [key, `loc-${key}`];
    for (const locations of [[at(1)], [at(1), at(2), at(3)]]) {
      const json = { template, relays: [at(1)], qualities: [at(1)], sensor: 's' };
      const { sql, params } = sensorPageStatement(
        1,
        locations,
        {
          fromTs: T0,
          toTs: T0 + 60 * MIN,
          after: [T0 + MIN, 'gw-m', 3],
          limit: 100,
        },
        json,
      );
      const plan = (
        opened.sqlite!.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params) as Array<{ detail: string }>
      )
        .map((r) => r.detail)
        .join('\n');
      expect(plan).toMatch(/SEARCH reading_rows USING PRIMARY KEY \(location_key=\? AND ts>\? AND ts<\?\)/);
      expect(plan).not.toMatch(/TEMP B-TREE|SCAN reading_rows/);
    }
  });
});
