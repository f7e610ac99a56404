import { describe, expect, it } from 'vitest';
import { lotQuantities, type QuantityScan } from '../../src/domain/lot-quantities.js';

// docs/barcode.md "Quantity custody": units without serial counted per lot and location.
const s = (location_id: string, ts: number, direction: string): QuantityScan => ({
  location_id,
  ts,
  direction,
});

describe('lotQuantities', () => {
  it('counts in minus out per location, never below zero, whatever the order of the scans', () => {
    const scans = [
      s('fridge', 10, 'putaway'),
      s('fridge', 20, 'putaway'),
      s('fridge', 30, 'picking'),
      s('dock', 5, 'dispatch'), // an out scan whose in scan was missed
      s('dock', 40, 'receiving'),
    ];
    const want = [
      {
        locationId: 'dock',
        scannedIn: 1,
        scannedOut: 1,
        onHand: 1,
        firstScanAt: 5,
        lastScanAt: 40,
        exposures: [],
      },
      {
        locationId: 'fridge',
        scannedIn: 2,
        scannedOut: 1,
        onHand: 1,
        firstScanAt: 10,
        lastScanAt: 30,
        exposures: [],
      },
    ];
    expect(lotQuantities(scans, [])).toEqual(want);
    expect(lotQuantities([...scans].reverse(), [])).toEqual(want);
  });

  it('an excursion exposes the most units on hand during it, those there when it began included', () => {
    const scans = [s('fridge', 10, 'putaway'), s('fridge', 20, 'putaway'), s('fridge', 50, 'picking')];
    const excursions = [
      { id: 'e-during', location_id: 'fridge', start_ts: 15, end_ts: 60 },
      { id: 'e-before', location_id: 'fridge', start_ts: 0, end_ts: 10 },
      { id: 'e-ongoing', location_id: 'fridge', start_ts: 55, end_ts: null },
      { id: 'e-elsewhere', location_id: 'dock', start_ts: 0, end_ts: null },
    ];
    expect(lotQuantities(scans, excursions)[0]!.exposures).toEqual([
      { excursionId: 'e-during', from: 15, to: 60, units: 2 },
      { excursionId: 'e-ongoing', from: 55, to: null, units: 1 },
    ]);
  });
});
