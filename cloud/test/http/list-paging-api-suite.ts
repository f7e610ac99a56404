import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CloudConfigInput } from '../../src/config.js';
import { bearer } from '../helpers/auth.js';
import { listRows } from '../helpers/list-rows.js';
import { startTestCloud, type TestCloud } from '../helpers/test-cloud.js';

const GTIN_A = '80614141123458';
const GTIN_B = '80614141123465';

/**
 * The list endpoints over HTTP (docs/architecture.md "Lists and paging"): without `limit`/`cursor` the
 * array as before; with them `{ items, nextCursor }` pages whose concatenation is that array; the filters;
 * and GET /summary's counts against the lists. On SQLite (list-paging-api.int.test.ts) and PostgreSQL
 * (list-paging-api.pg.svc.test.ts): `store()` gives the cloud's database setting.
 */
export function listPagingApiSuite(
  name: string,
  store: () => Promise<Pick<CloudConfigInput, 'database'>>,
): void {
  describe(`paged and filtered lists, summary (HTTP, ${name})`, () => {
    let cloud: TestCloud;
    let viewer: { authorization: string };

    const get = async (url: string) => {
      const res = await cloud.app.inject({ method: 'GET', url, headers: viewer });
      expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
      return res.json();
    };
    /** Every page of `url` (with `limit`), following nextCursor; also checks each page's size. */
    const allPages = async (url: string, limit: number) => {
      const items: Array<Record<string, unknown>> = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const sep = url.includes('?') ? '&' : '?';
        const page = await get(
          `${url}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        );
        expect(Object.keys(page).sort()).toEqual(['items', 'nextCursor']);
        if (page.nextCursor !== null) expect(page.items).toHaveLength(limit);
        items.push(...page.items);
        cursor = page.nextCursor;
        pages++;
      } while (cursor !== null);
      return { items, pages };
    };

    beforeAll(async () => {
      cloud = await startTestCloud(await store());
      viewer = await bearer(cloud, ['viewer']);
      const db = cloud.store.db;
      const rows = listRows(db);
      for (const [id, gtin] of [
        ['LOT-1', GTIN_A],
        ['LOT-2', GTIN_A],
        ['LOT-3', GTIN_B],
        ['LOT-4', GTIN_B],
        ['LOT-5', GTIN_A],
      ] as const)
        await rows.lot(id, gtin, 3);
      // Units of LOT-1 and LOT-3 are locked by excursions, one of LOT-2 released.
      const { excursion } = rows;
      await excursion('x-room-1', 'room', 1000, 2000);
      await excursion('x-room-2', 'room', 3000, null, { critical: 1 });
      await excursion('x-truck-1', 'truck', 1000, 1500, { review_state: 'decided' });
      await excursion('x-truck-2', 'truck', 5000, 6000);
      await excursion('x-store-1', 'store', 4000, null);
      const { lock } = rows;
      await lock('LOT-1-E1', 'x-room-1', 'active', 'excursion', 10);
      await lock('LOT-1-E2', 'x-room-1', 'active', 'excursion', 10);
      await lock('LOT-1-E1', 'x-room-2', 'active', 'excursion', 11);
      await lock('LOT-3-E1', 'x-store-1', 'active', 'excursion', 12);
      await lock('LOT-2-E1', 'x-truck-1', 'released', 'excursion', 9);
      await lock('LOT-4-E1', 'LOT-4:above:8:3600000', 'lifted', 'cumulative', 13);
      await lock('E99', 'x-truck-2', 'active', 'excursion', 14); // an uncommissioned unit
      for (let i = 0; i < 7; i++)
        await db
          .insertInto('dead_letters')
          .values({
            received_at: i,
            topic: 't',
            gateway_id: i % 2 ? 'gw-1' : 'gw-2',
            client_id: null,
            code: i < 5 ? 'malformed_json' : 'schema_violation',
            reason: `r${i}`,
            payload: 'x',
            payload_bytes: 1,
            replayed_at: i === 0 ? 5 : null,
          })
          .execute();
      for (let i = 0; i < 5; i++)
        await db
          .insertInto('rule_alarms')
          .values({
            id: `room@${i}`,
            rule: 'rate_of_change',
            location_id: i < 3 ? 'room' : 'truck',
            from_ts: (i % 3) * 100,
            to_ts: (i % 3) * 100 + 50,
            detail_json: '{}',
            created_at: 0,
            updated_at: 0,
          })
          .execute();
    });
    afterAll(async () => cloud?.stop());

    it('each list: the pages, followed to the end, are the array answer in the same order', async () => {
      for (const [url, limit] of [
        ['/api/v1/excursions', 2],
        ['/api/v1/excursions?order=desc', 3],
        ['/api/v1/lots', 2],
        ['/api/v1/locks', 3],
        ['/api/v1/dead-letters', 2],
        ['/api/v1/rule-alarms', 2],
      ] as const) {
        const array = await get(url);
        expect(Array.isArray(array), url).toBe(true);
        expect(array.length, url).toBeGreaterThan(limit); // more than one page
        const { items, pages } = await allPages(url, limit);
        expect(pages, url).toBe(Math.ceil(array.length / limit));
        expect(items, url).toEqual(array);
      }
    });

    it('excursions: by location, state, review state, lot, time overlap, critical, newest first', async () => {
      const ids = async (q: string) => (await allPages(`/api/v1/excursions?${q}`, 2)).items.map((e) => e.id);
      expect(await ids('locationId=truck')).toEqual(['x-truck-1', 'x-truck-2']);
      expect(await ids('state=ongoing')).toEqual(['x-room-2', 'x-store-1']);
      expect(await ids('reviewState=decided')).toEqual(['x-truck-1']);
      expect(await ids('lotId=LOT-1')).toEqual(['x-room-1', 'x-room-2']);
      expect(await ids('lotId=LOT-2')).toEqual(['x-truck-1']);
      expect(await ids('lotId=LOT-5')).toEqual([]);
      // Overlapping [1600, 3500]: x-room-1 (to 2000), x-room-2 (from 3000, ongoing); not x-truck-1 (to 1500).
      expect(await ids('from=1600&to=3500')).toEqual(['x-room-1', 'x-room-2']);
      expect(await ids('critical=true')).toEqual(['x-room-2']);
      expect(await ids('order=desc&locationId=room')).toEqual(['x-room-2', 'x-room-1']);
      // The array answer is filtered too.
      expect((await get('/api/v1/excursions?locationId=store')).map((e: { id: string }) => e.id)).toEqual([
        'x-store-1',
      ]);
    });

    it('lots: by product and by having a locked unit, each with its units', async () => {
      const lots = async (q: string) => (await allPages(`/api/v1/lots?${q}`, 2)).items;
      expect((await lots(`gtin=${GTIN_B}`)).map((l) => l.id)).toEqual(['LOT-3', 'LOT-4']);
      const locked = await lots('hasLocks=true');
      expect(locked.map((l) => l.id)).toEqual(['LOT-1', 'LOT-3']);
      expect(locked[0]!.units).toMatchObject({ total: 3, locked: 2 });
      expect((await lots('hasLocks=false')).map((l) => l.id)).toEqual(['LOT-2', 'LOT-4', 'LOT-5']);
      expect((await lots(`hasLocks=true&gtin=${GTIN_A}`)).map((l) => l.id)).toEqual(['LOT-1']);
      // The list's unit counts are the lot view's (its assessment), lot by lot, whichever lock states they hold.
      const all = await get('/api/v1/lots');
      expect(all.map((l: { units: { released: number } }) => l.units.released)).toContain(1);
      for (const l of all) expect(l.units, l.id).toEqual((await get(`/api/v1/lots/${l.id}`)).units);
    });

    it('locks: by lot, state and cause', async () => {
      const locks = async (q: string) =>
        (await allPages(`/api/v1/locks?${q}`, 2)).items.map((l) => `${l.epc}/${l.excursionId}`);
      expect(await locks('lotId=LOT-1')).toEqual([
        'LOT-1-E1/x-room-1',
        'LOT-1-E2/x-room-1',
        'LOT-1-E1/x-room-2',
      ]);
      expect(await locks('state=active&cause=excursion')).toEqual([
        'LOT-1-E1/x-room-1',
        'LOT-1-E2/x-room-1',
        'LOT-1-E1/x-room-2',
        'LOT-3-E1/x-store-1',
        'E99/x-truck-2',
      ]);
      expect(await locks('cause=cumulative')).toEqual(['LOT-4-E1/cumulative:LOT-4:above:8:3600000']);
    });

    it('dead letters: by code and gateway, newest first', async () => {
      const reasons = async (q: string) =>
        (await allPages(`/api/v1/dead-letters?${q}`, 2)).items.map((d) => d.reason);
      expect(await reasons('code=schema_violation')).toEqual(['r6', 'r5']);
      expect(await reasons('gatewayId=gw-1')).toEqual(['r5', 'r3', 'r1']);
      expect(await reasons('gatewayId=gw-2&code=malformed_json')).toEqual(['r4', 'r2', 'r0']);
    });

    it('GET /summary counts what the lists hold', async () => {
      const s = await get('/api/v1/summary');
      const excursions = await get('/api/v1/excursions');
      const active = await get('/api/v1/locks?state=active');
      const lots = await get('/api/v1/lots');
      const letters = await get('/api/v1/dead-letters');
      const lockedLots = lots.filter((l: { units: { locked: number } }) => l.units.locked > 0);
      expect(s).toEqual({
        excursions: excursions.length,
        excursionsPendingReview: excursions.filter(
          (e: { reviewState: string }) => e.reviewState === 'pending',
        ).length,
        ongoingExcursions: excursions.filter((e: { state: string }) => e.state === 'ongoing').length,
        lockedUnits: new Set(active.map((l: { epc: string }) => l.epc)).size,
        decisionsOutstanding: active.length,
        lotsWithLockedUnits: lockedLots.length,
        lockedLots: lockedLots.map(
          (l: { id: string; gtin: string; lotNumber: string; units: { locked: number; total: number } }) => ({
            lotId: l.id,
            gtin: l.gtin,
            lotNumber: l.lotNumber,
            lockedUnits: l.units.locked,
            totalUnits: l.units.total,
            lockedSince: Math.min(
              ...active
                .filter((k: { lotId: string | null }) => k.lotId === l.id)
                .map((k: { createdAt: number }) => k.createdAt),
            ),
          }),
        ),
        deadLetters: letters.length,
        deadLettersNotReplayed: letters.filter((d: { replayedAt: number | null }) => d.replayedAt === null)
          .length,
        // Counted against their own lists in the domain journey test (reports/domain-journey.int.test.ts).
        rejectedAwaitingClosure: (await get('/api/v1/rejected-stock')).reduce(
          (n: number, l: { units: number; heldUnits: number }) => n + l.units + l.heldUnits,
          0,
        ),
        releasesAwaitingSecondSignature: (await get('/api/v1/release-proposals?state=pending')).length,
        // Counted against the holds in quantity-holds.int.test.ts (this fixture scans no unit without serial).
        heldUnits: 0,
        holdsOutstanding: (await get('/api/v1/quantity-holds?state=active')).length,
      });
      // The precondition of the comparison: there is something to count.
      expect(s).toMatchObject({
        excursions: 5,
        excursionsPendingReview: 4,
        lockedUnits: 4,
        decisionsOutstanding: 5,
      });
      expect(s.lockedLots.map((l: { lotId: string }) => l.lotId)).toEqual(['LOT-1', 'LOT-3']);
      expect((await get('/api/v1/summary?lots=1')).lockedLots).toHaveLength(1);
    });
  });
}
