import { ColdtraceError, sgtin96Hex } from '@coldtrace/shared';
import type { Scenario } from './scenario-schema.js';

type Lot = Scenario['lots'][number];

/** The SGTIN-96 EPC (hex) of one tagged case of a lot (GS1 TDS 2.x §14.5.1). */
export function unitEpc(lot: Lot, serial: number): string {
  const itemRef = lot.itemRef.padStart(13 - lot.companyPrefix.length, '0');
  return sgtin96Hex({ companyPrefix: lot.companyPrefix, itemRef, serial, filter: 1 });
}

export function lotEpcs(lot: Lot): string[] {
  return Array.from({ length: lot.serials.count }, (_, i) => unitEpc(lot, lot.serials.from + i));
}

/**
 * Resolves a unit selection (`LOT`, `LOT#1001`, `LOT#1001-1012`, or a list) to EPCs, in order.
 * Throws `invalid_scenario` naming what is wrong.
 */
export function resolveUnits(s: Pick<Scenario, 'lots'>, sel: string | readonly string[]): string[] {
  return selectUnits(s, sel).map(({ lot, serial }) => unitEpc(lot, serial));
}

/** The lot and serial of each unit of a selection (`resolveUnits`), in order. */
export function selectUnits(
  s: Pick<Scenario, 'lots'>,
  sel: string | readonly string[],
): Array<{ lot: Lot; serial: number }> {
  const out: Array<{ lot: Lot; serial: number }> = [];
  for (const one of typeof sel === 'string' ? [sel] : sel) {
    const m = /^([^#]+)(?:#(\d+)(?:-(\d+))?)?$/.exec(one.trim());
    const lot = m ? s.lots.find((l) => l.id === m[1]) : undefined;
    if (!m || !lot)
      throw new ColdtraceError(
        'invalid_scenario',
        `unknown units ${JSON.stringify(one)} (use LOT, LOT#serial or LOT#from-to)`,
      );
    const last = lot.serials.from + lot.serials.count - 1;
    const from = m[2] === undefined ? lot.serials.from : Number(m[2]);
    const to = m[3] === undefined ? (m[2] === undefined ? last : from) : Number(m[3]);
    if (from < lot.serials.from || to > last || from > to)
      throw new ColdtraceError(
        'invalid_scenario',
        `units ${one}: serials of ${lot.id} are ${lot.serials.from}-${last}`,
      );
    for (let serial = from; serial <= to; serial++) out.push({ lot, serial });
  }
  return out;
}
