import { describe, expect, it } from 'vitest';
import {
  type AuditEntryData,
  describeAuditEntry,
  fieldLabel,
  type NameLookup,
} from '../../src/domain/audit-summary.js';

const NAMES: Record<string, string> = {
  'location room-1': 'Room 1',
  'location reefer-7': 'Reefer 7',
  'lot LOT-B': 'LOT-B (Vaccine, lot no. L2026B)',
  'user quinn': 'Quinn QA',
  'gateway gw-1': 'Dock gateway',
};
const names: NameLookup = (kind, id) => NAMES[`${kind} ${id}`];

const entry = (e: Partial<AuditEntryData>): AuditEntryData => ({
  seq: 1,
  at: Date.UTC(2026, 2, 10, 8, 55),
  actor: 'quinn',
  action: 'location.updated',
  entityType: 'location',
  entityId: 'room-1',
  before: null,
  after: null,
  reason: '',
  ...e,
});

describe('describeAuditEntry', () => {
  it('states a limit change of a location by its name, with units, before → after', () => {
    const d = describeAuditEntry(
      entry({
        before: { id: 'room-1', name: 'Room 1', min_c: 2, max_c: 8, alarm_delay_ms: 600_000, updated_at: 1 },
        after: { id: 'room-1', name: 'Room 1', min_c: 2, max_c: 10, alarm_delay_ms: 900_000, updated_at: 2 },
      }),
      names,
    );
    expect(d.summary).toBe('Location Room 1 updated: max 8 °C → 10 °C, alarm delay 10 min → 15 min');
    expect(d.subject).toBe('Location Room 1');
    expect(d.actorName).toBe('Quinn QA');
    // updated_at changes with every edit: not a change a reviewer needs when something else changed.
    expect(d.changes).toEqual([
      { field: 'max', before: '8 °C', after: '10 °C' },
      { field: 'alarm delay', before: '10 min', after: '15 min' },
    ]);
  });

  it('lists the fields of a creation without arrows, and counts the rest', () => {
    const d = describeAuditEntry(
      entry({
        action: 'location.created',
        after: { name: 'Room 1', kind: 'room', minC: 2, maxC: 8, maxGapMs: 300_000 },
      }),
      names,
    );
    expect(d.summary).toBe('Location Room 1 created: name Room 1, kind room, min 2 °C, … (2 more)');
    expect(d.changes.map((c) => [c.field, c.before, c.after])).toContainEqual(['max gap', '—', '5 min']);
  });

  it('states a disposition: lot with its product, decision, signer, units before → after', () => {
    const d = describeAuditEntry(
      entry({
        action: 'disposition.reject',
        entityType: 'excursion',
        entityId: 'reefer-7@2026-03-10T08:00:00.000Z',
        before: {
          locks: [
            { epc: 'a', state: 'locked' },
            { epc: 'b', state: 'locked' },
          ],
        },
        after: {
          lotId: 'LOT-B',
          state: 'rejected',
          signature: { printedName: 'Quinn QA', meaning: 'rejection', signedAt: 1 },
        },
      }),
      names,
    );
    expect(d.summary).toBe(
      'Disposition of lot LOT-B (Vaccine, lot no. L2026B): reject, signed by Quinn QA; units 2 locked → 2 rejected',
    );
    expect(d.subject).toBe('Excursion at Reefer 7 from 2026-03-10 08:00 UTC');
  });

  it('states a review state change of an excursion, and a lock by unit and excursion', () => {
    const x = describeAuditEntry(
      entry({
        action: 'excursion.decided',
        entityType: 'excursion',
        entityId: 'reefer-7@2026-03-10T08:00:00.000Z',
        before: { reviewState: 'pending' },
        after: { reviewState: 'decided', version: 3 },
      }),
      names,
    );
    expect(x.summary).toBe(
      'Excursion at Reefer 7 from 2026-03-10 08:00 UTC decided: review state pending → decided',
    );
    const lock = describeAuditEntry(
      entry({
        actor: 'system',
        action: 'lock.created',
        entityType: 'lock',
        entityId: '3034257BF400B7800004CB2F|room-9@2026-03-10T08:00:00.000Z',
        after: { state: 'active', locationId: 'room-1', excursionId: 'room-1@2026-03-10T09:00:00.000Z' },
      }),
      names,
    );
    expect(lock.summary).toBe(
      // The unit by the GTIN and serial of its SGTIN-96 (TDS 2.x: urn:epc:id:sgtin:0614141.000734.314159).
      'Lock on unit GTIN 00614141007349 serial 314159 for excursion at room-9 from 2026-03-10 08:00 UTC created: state locked, location room-1 (Room 1), excursion at Room 1 from 2026-03-10 09:00 UTC',
    );
    expect(lock.actorName).toBe('system');
  });

  it('formats times, booleans, lists and ids it does not know without inventing names', () => {
    const d = describeAuditEntry(
      entry({
        action: 'gateway.sequence_reset',
        entityType: 'gateway',
        entityId: 'gw-unknown',
        before: { seq: 41, lastAt: Date.UTC(2026, 0, 2, 3, 4), online: true },
        after: { seq: 1, lastAt: Date.UTC(2026, 0, 2, 3, 9), online: false, epcs: ['a', 'b', 'c', 'd'] },
      }),
      names,
    );
    expect(d.subject).toBe('Gateway gw-unknown');
    expect(d.changes).toEqual([
      { field: 'seq', before: '41', after: '1' },
      { field: 'last at', before: '2026-01-02 03:04 UTC', after: '2026-01-02 03:09 UTC' },
      { field: 'online', before: 'yes', after: 'no' },
      { field: 'epcs', before: '—', after: '4 entries' },
    ]);
    expect(d.summary).toMatch(/^Gateway gw-unknown sequence reset: seq 41 → 1, /);
  });

  it('shows bookkeeping fields only when nothing else changed; an entry without before/after is just the action', () => {
    const only = describeAuditEntry(
      entry({ before: { updated_at: 1, version: 1 }, after: { updated_at: 2, version: 2 } }),
      names,
    );
    expect(only.changes.map((c) => c.field)).toEqual(['updated at', 'version']);
    const bare = describeAuditEntry(
      entry({ action: 'security.account_unlocked', entityType: 'security', entityId: 'vera' }),
      names,
    );
    expect(bare).toMatchObject({ summary: 'Security event vera account unlocked', changes: [] });
  });

  it('states a list of small records (custody) by their fields, named after the action family', () => {
    const d = describeAuditEntry(
      entry({
        actor: 'system',
        action: 'custody.changed',
        entityType: 'epc',
        entityId: '3034257BF400B7800004CB2F',
        before: [],
        after: [{ locationId: 'reefer-7', from: Date.UTC(2026, 2, 10, 8, 0, 30), to: null }],
      }),
      names,
    );
    expect(d.summary).toBe(
      'Unit GTIN 00614141007349 serial 314159 changed: custody none → (location reefer-7 (Reefer 7), from 2026-03-10 08:00:30 UTC)',
    );
  });

  it('rounds computed numbers and shows seconds when a time has them', () => {
    const d = describeAuditEntry(
      entry({
        action: 'excursion.extended',
        entityType: 'excursion',
        entityId: 'reefer-7@2026-03-10T08:00:00.000Z',
        before: { degreeMinutes: 60, endTs: Date.UTC(2026, 2, 10, 8, 29) },
        after: { degreeMinutes: 65.99999999999997, endTs: Date.UTC(2026, 2, 10, 8, 29, 30) },
      }),
      names,
    );
    expect(d.changes).toEqual([
      { field: 'degree minutes', before: '60', after: '66' },
      { field: 'end ts', before: '2026-03-10 08:29 UTC', after: '2026-03-10 08:29:30 UTC' },
    ]);
  });

  it('labels camelCase and snake_case fields the same way', () => {
    expect(fieldLabel('max_c')).toBe('max');
    expect(fieldLabel('maxC')).toBe('max');
    expect(fieldLabel('criticalMarginC')).toBe('critical margin');
    expect(fieldLabel('stability_budget_ms')).toBe('stability budget');
    expect(fieldLabel('signature.printedName')).toBe('signature printed name');
    expect(fieldLabel('lot_id')).toBe('lot');
    expect(fieldLabel('id')).toBe('id');
  });
});
