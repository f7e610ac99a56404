import type { ExcursionReportInput } from '../../src/reports/report-input.js';

export const T0 = Date.UTC(2025, 2, 10, 8, 0, 0);
const MIN = 60_000;

/** A reefer failure on truck-7: two sensors, 40 minutes above 8 °C, two lots, one signed release. */
export function reportInput(over: Partial<ExcursionReportInput> = {}): ExcursionReportInput {
  const wave = (offset: number) =>
    Array.from({ length: 61 }, (_, i) => ({
      ts: T0 + i * 2 * MIN,
      tempC: i >= 20 && i < 40 ? 8 + (offset + Math.sin((i - 20) / 6) * 6) : 5 + offset + 0.3 * Math.sin(i),
    }));
  return {
    reportId: 'RPT-2025-0001',
    generatedAt: T0 + 200 * MIN,
    version: '0.1.0',
    generatedBy: 'qa.anna',
    excursion: {
      id: 'truck-7@2025-03-10T08:40:00.000Z',
      locationId: 'truck-7',
      locationName: 'Truck 7 reefer',
      startTs: T0 + 40 * MIN,
      endTs: T0 + 80 * MIN,
      durationMs: 40 * MIN,
      minC: 8.2,
      maxC: 14.1,
      peakC: 14.1,
      degreeMinutes: 123.4,
      mktC: 11.37,
      critical: true,
      sensorIds: ['truck7-a', 'truck7-b'],
      state: 'decided',
    },
    limits: { minC: 2, maxC: 8, criticalMarginC: 5, alarmDelayMs: 15 * MIN },
    series: [
      { sensorId: 'truck7-a', points: wave(0) },
      { sensorId: 'truck7-b', points: wave(0.5).map((p, i) => (i === 10 ? { ts: p.ts, tempC: null } : p)) },
    ],
    lots: [
      {
        lotId: 'lot-a',
        lotNumber: 'LOT-A123',
        gtin: '00614141812345',
        productName: 'Insulin glargine 100 U/ml',
        unitsExposed: 40,
        unitsLocked: 40,
        unitsTotal: 120,
        whereNow: [
          { location: 'Store 3', units: 40 },
          { location: 'Cold room 1', units: 80 },
        ],
        timeOutsideMs: 40 * MIN,
        stabilityBudgetMs: 6 * 60 * MIN,
        mktC: 6.12,
        custodyMktC: 5.43,
        toleranceMinC: 2,
        toleranceMaxC: 8,
      },
      {
        lotId: 'lot-b',
        lotNumber: 'LOT-B777',
        gtin: '00614141899998',
        productName: 'Hepatitis B vaccine',
        unitsExposed: 12,
        unitsLocked: 12,
        unitsTotal: 12,
        whereNow: [{ location: 'Store 3', units: 12 }],
        timeOutsideMs: 7 * 60 * MIN,
        stabilityBudgetMs: 2 * 60 * MIN,
        mktC: 9.87,
      },
    ],
    decisions: [
      {
        id: 'dec-1',
        scope: 'lot LOT-A123',
        decision: 'release',
        reason: 'Stability data covers 2 h at 25 °C',
        signature: {
          printedName: 'Anna Kowalska',
          userId: 'qa.anna',
          meaning: 'approval (release)',
          signedAt: T0 + 190 * MIN,
        },
      },
      {
        id: 'dec-2',
        scope: 'lot LOT-B777',
        decision: 'reject',
        reason: 'Stability budget exceeded',
        signature: { printedName: 'Jörg Müller', meaning: 'rejection', signedAt: T0 + 195 * MIN },
      },
    ],
    audit: [
      {
        seq: 41,
        at: T0 + 55 * MIN,
        actor: 'system',
        action: 'excursion.opened',
        detail: 'truck-7 above 8 °C',
      },
      { seq: 42, at: T0 + 55 * MIN, actor: 'system', action: 'lock.created', detail: '52 units of 2 lots' },
      {
        seq: 57,
        at: T0 + 190 * MIN,
        actor: 'qa.anna',
        action: 'disposition.signed',
        detail: 'release LOT-A123',
      },
    ],
    ...over,
  };
}
