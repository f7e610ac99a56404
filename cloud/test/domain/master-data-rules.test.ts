import { gtinOf, sgtin96Hex } from '@coldtrace/shared';
import { describe, expect, it } from 'vitest';
import { commissioningChange, epcsToCommission } from '../../src/domain/commissioning.js';
import { epcSummary } from '../../src/domain/epc-summary.js';
import { type LotFacts, lotChange } from '../../src/domain/lot-change.js';
import { mergeLotStays } from '../../src/domain/lot-stays.js';
import { masterDataAudit, webhookAudit } from '../../src/domain/master-data-audit.js';
import { unitLockState } from '../../src/domain/unit-lock-state.js';

const GTIN = '80614141123458';
const epc = (serial: number, itemRef = '812345') => sgtin96Hex({ companyPrefix: '0614141', itemRef, serial });
const lot = { id: 'L1', gtin: GTIN, lot_number: 'A', expiry: '2027-01-01' };
const stored = { ...lot, created_at: 100, updated_at: 100 };
const fine: LotFacts = { productRegistered: true, before: undefined, clashId: undefined, hasUnits: false };

describe('lot changes (domain/lot-change.ts)', () => {
  it('creates a lot with its audit entry, and keeps the creation time on a change', () => {
    expect(lotChange(lot, fine, 'alice', 200)).toEqual({
      row: { ...lot, created_at: 200, updated_at: 200 },
      audit: {
        actor: 'alice',
        action: 'lot.created',
        entityType: 'lot',
        entityId: 'L1',
        before: undefined,
        after: { ...lot, created_at: 200, updated_at: 200 },
        reason: 'master data',
      },
    });
    const changed = lotChange({ ...lot, expiry: '2028-01-01' }, { ...fine, before: stored }, 'bob', 300);
    expect(changed.row).toEqual({ ...lot, expiry: '2028-01-01', created_at: 100, updated_at: 300 });
    expect(changed.audit).toMatchObject({ action: 'lot.updated', before: stored, actor: 'bob' });
  });

  it('refuses an unregistered product, a taken lot number and a new GTIN for a lot with units', () => {
    expect(() => lotChange(lot, { ...fine, productRegistered: false }, 'a', 1)).toThrow(
      expect.objectContaining({ code: 'invalid', message: `lot L1: product GTIN ${GTIN} is not registered` }),
    );
    expect(() => lotChange(lot, { ...fine, clashId: 'L9' }, 'a', 1)).toThrow(
      expect.objectContaining({
        code: 'conflict',
        message: expect.stringContaining('already exists as lot L9'),
      }),
    );
    const regtin = { ...lot, gtin: '00614141000012' };
    const before = { ...stored };
    expect(lotChange(regtin, { ...fine, before }, 'a', 1).row.gtin).toBe('00614141000012'); // no units yet
    expect(() => lotChange(regtin, { ...fine, before, hasUnits: true }, 'a', 1)).toThrow(
      expect.objectContaining({
        code: 'conflict',
        message: 'lot L1 has commissioned EPCs; its GTIN cannot change',
      }),
    );
    expect(lotChange(lot, { ...fine, before, hasUnits: true }, 'a', 1).row.gtin).toBe(GTIN); // same GTIN
    // The product is checked first, then the lot number.
    expect(() => lotChange(lot, { ...fine, productRegistered: false, clashId: 'L9' }, 'a', 1)).toThrow(
      expect.objectContaining({ code: 'invalid' }),
    );
  });
});

describe('commissioning (domain/commissioning.ts)', () => {
  it('takes upper-case hex EPCs once each and refuses bad hex or another GTIN', () => {
    expect(gtinOf(epc(1))).toBe(GTIN);
    expect(epcsToCommission(lot, [epc(1).toLowerCase(), epc(1), epc(2)])).toEqual([epc(1), epc(2)]);
    expect(epcsToCommission(lot, ['ABCDEF0123'])).toEqual(['ABCDEF0123']); // not an SGTIN: any lot
    expect(() => epcsToCommission(lot, [epc(1), 'XYZ'])).toThrow(
      expect.objectContaining({ code: 'invalid', message: 'EPC "XYZ" is not 8–64 hex digits' }),
    );
    const other = epc(3, '812346');
    expect(gtinOf(other)).not.toBe(GTIN);
    expect(() => epcsToCommission(lot, [other])).toThrow(
      expect.objectContaining({
        code: 'invalid',
        message: expect.stringContaining(`but lot L1 is GTIN ${GTIN}`),
      }),
    );
  });

  it('adds the EPCs not yet in the lot with one audit entry, and never moves one between lots', () => {
    const existing = new Map([[epc(1), 'L1']]);
    expect(commissioningChange('L1', [epc(1), epc(2)], existing, 'op')).toEqual({
      fresh: [epc(2)],
      audit: [
        {
          actor: 'op',
          action: 'epcs.commissioned',
          entityType: 'lot',
          entityId: 'L1',
          after: { epcs: [epc(2)] },
          reason: '1 EPC(s) commissioned',
        },
      ],
    });
    expect(commissioningChange('L1', [epc(1)], existing, 'op')).toEqual({ fresh: [], audit: [] });
    expect(() => commissioningChange('L2', [epc(1), epc(2)], existing, 'op')).toThrow(
      expect.objectContaining({
        code: 'conflict',
        message: `EPC ${epc(1)} is already commissioned to lot L1`,
      }),
    );
  });
});

describe('master-data audit entries (domain/master-data-audit.ts)', () => {
  it('names the change and keeps a webhook secret out of the trail', () => {
    expect(masterDataAudit('sensor', 's1', undefined, { id: 's1' }, 'op')).toEqual({
      actor: 'op',
      action: 'sensor.created',
      entityType: 'sensor',
      entityId: 's1',
      before: undefined,
      after: { id: 's1' },
      reason: 'master data',
    });
    const w = { id: 'erp', url: 'https://erp.example', secret: 'a-secret-of-16-chars' };
    const e = webhookAudit(w, { ...w, url: 'https://erp2.example' }, 'admin');
    expect(e).toMatchObject({ action: 'webhook.updated', entityType: 'webhook', entityId: 'erp' });
    expect(e.reason).toBe('integration configuration');
    expect(e.before).toEqual({ ...w, secret: '(redacted)' });
    expect(e.after).toEqual({ ...w, url: 'https://erp2.example', secret: '(redacted)' });
    expect(JSON.stringify(e)).not.toContain(w.secret);
  });
});

describe('an EPC and a lot as read back (epc-summary.ts, lot-stays.ts, unit-lock-state.ts)', () => {
  const at = (location_id: string, entered_at: number, left_at: number | null, e = 'E1') => ({
    epc: e,
    location_id,
    entered_at,
    left_at,
  });

  it('knows an EPC once it is commissioned or seen, where it is and whether it is locked', () => {
    const none = { commissioning: undefined, custody: [], locks: [], moved: false };
    expect(epcSummary(epc(1), none)).toBeUndefined();
    expect(epcSummary(epc(1), { ...none, moved: true })).toMatchObject({
      commissioned: false,
      location: null,
    });
    const s = epcSummary(epc(1), {
      commissioning: { lot_id: 'L1' },
      custody: [at('room-a', 1, 5), at('truck-1', 5, null)],
      locks: [{ state: 'rejected' }, { state: 'lifted' }],
      moved: true,
    });
    expect(s).toMatchObject({
      lotId: 'L1',
      commissioned: true,
      location: 'truck-1',
      locked: false,
      rejected: true,
    });
    expect(s?.decoded).toMatchObject({ scheme: 'sgtin-96' });
  });

  it('merges the units’ custody intervals per location where they overlap or touch', () => {
    expect(
      mergeLotStays([
        at('room-a', 0, 10, 'E1'),
        at('room-a', 5, 20, 'E2'),
        at('room-a', 20, 30, 'E1'),
        at('room-a', 40, null, 'E3'),
        at('truck-1', 10, null, 'E1'),
      ]),
    ).toEqual([
      { locationId: 'room-a', from: 0, to: 30, units: 2 },
      { locationId: 'truck-1', from: 10, to: null, units: 1 },
      { locationId: 'room-a', from: 40, to: null, units: 1 },
    ]);
  });

  it('ranks a unit’s locks: active, then rejected, then released', () => {
    expect(unitLockState([{ state: 'released' }, { state: 'active' }, { state: 'rejected' }])).toBe('locked');
    expect(unitLockState([{ state: 'released' }, { state: 'rejected' }])).toBe('rejected');
    expect(unitLockState([{ state: 'lifted' }, { state: 'released' }])).toBe('released');
    expect(unitLockState([{ state: 'lifted' }])).toBe('free');
  });
});
