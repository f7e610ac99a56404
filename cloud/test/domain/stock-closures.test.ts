import { describe, expect, it } from 'vitest';
import { ChangeLog } from '../../src/domain/exposure.js';
import type { Signer } from '../../src/domain/signature.js';
import {
  closeRejectedStock,
  type OpenHeldQuantity,
  type StockClosureRepo,
} from '../../src/domain/stock-closures.js';

const SIGNER: Signer = { userId: 'u-qa', username: 'quinn', printedName: 'Quinn QA', roles: ['qa'] };
const NOW = Date.UTC(2026, 11, 1, 9);

/** An in-memory repo: rejected EPC units and rejected held quantities still open, and what was inserted. */
function repoOf(epcs: Array<{ epc: string; lotId: string | null }>, held: OpenHeldQuantity[]) {
  const inserted: Array<{ units: number; epcs: string[]; held: OpenHeldQuantity[] }> = [];
  const repo: StockClosureRepo = {
    openRejected: async (q) =>
      epcs.filter(
        (u) => (q.epc === undefined || u.epc === q.epc) && (q.lotId === undefined || u.lotId === q.lotId),
      ),
    openRejectedHolds: async (lotId) => held.filter((h) => h.lotId === lotId),
    insert: async (c, units, h) => {
      inserted.push({ units: c.units, epcs: units.map((u) => u.epc), held: [...h] });
    },
  };
  return { repo, inserted };
}

const hold = (locationId: string, excursionId: string, units: number): OpenHeldQuantity => ({
  lotId: 'LOT-Q',
  locationId,
  excursionId,
  dispositionId: `d-${excursionId}`,
  units,
});

describe('closeRejectedStock with rejected held quantities (docs/domain.md "Rejected stock to its end")', () => {
  const base = { outcome: 'destroyed' as const, reference: 'DC-1', reason: 'incinerated' };

  it('a lot record closes its open held quantities, sorted, in the record, manifest, audit and event', async () => {
    const { repo, inserted } = repoOf(
      [{ epc: 'AA01', lotId: 'LOT-Q' }],
      [hold('fridge-2', 'x-2', 3), hold('fridge', 'x-1', 2), hold('fridge', 'x-0', 0)],
    );
    const log = new ChangeLog();
    const c = await closeRejectedStock(repo, log, NOW, { lotId: 'LOT-Q', ...base }, SIGNER);
    const held = [
      { locationId: 'fridge', excursionId: 'x-1', units: 2 },
      { locationId: 'fridge-2', excursionId: 'x-2', units: 3 },
    ];
    expect(c).toMatchObject({ units: 6, held });
    // A hold with nothing open is not closed again.
    expect(inserted).toEqual([
      { units: 6, epcs: ['AA01'], held: [hold('fridge', 'x-1', 2), hold('fridge-2', 'x-2', 3)] },
    ]);
    expect(JSON.parse(c.manifest_json).scope).toEqual({
      type: 'lot',
      lotId: 'LOT-Q',
      epc: null,
      units: ['AA01'],
      held,
    });
    expect(log.audit[0]?.after).toMatchObject({ units: ['AA01'], held });
    expect(log.extraEvents).toEqual([
      expect.objectContaining({
        type: 'stock_closed',
        units: [{ epc: 'AA01', lotId: 'LOT-Q' }],
        quantities: held.map((h) => ({ lotId: 'LOT-Q', ...h })),
      }),
    ]);
  });

  it('a lot with only held units can be closed; without held units the record is as before', async () => {
    const onlyHeld = repoOf([], [hold('fridge', 'x-1', 2)]);
    const c = await closeRejectedStock(
      onlyHeld.repo,
      new ChangeLog(),
      NOW,
      { lotId: 'LOT-Q', ...base },
      SIGNER,
    );
    expect(c).toMatchObject({ units: 2, held: [{ locationId: 'fridge', excursionId: 'x-1', units: 2 }] });
    const onlyEpcs = repoOf([{ epc: 'AA01', lotId: 'LOT-Q' }], []);
    const log = new ChangeLog();
    const e = await closeRejectedStock(onlyEpcs.repo, log, NOW, { lotId: 'LOT-Q', ...base }, SIGNER);
    expect(e.held).toEqual([]);
    expect(JSON.parse(e.manifest_json).scope).not.toHaveProperty('held');
    expect(log.extraEvents[0]).not.toHaveProperty('quantities');
  });

  it('an EPC record closes that unit only; nothing open is refused', async () => {
    const { repo, inserted } = repoOf([{ epc: 'AA01', lotId: 'LOT-Q' }], [hold('fridge', 'x-1', 2)]);
    const c = await closeRejectedStock(repo, new ChangeLog(), NOW, { epc: 'aa01', ...base }, SIGNER);
    expect(c).toMatchObject({ units: 1, held: [] });
    expect(inserted[0]?.held).toEqual([]);
    const none = repoOf([], [hold('fridge', 'x-1', 0)]);
    await expect(
      closeRejectedStock(none.repo, new ChangeLog(), NOW, { lotId: 'LOT-Q', ...base }, SIGNER),
    ).rejects.toThrow(/no rejected units awaiting/);
    expect(none.inserted).toEqual([]);
  });
});
