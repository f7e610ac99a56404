import type { GatewayContext } from '../module.js';
import type { ScanStationConfig } from './scan-config.js';
import { convertScanLine, type HibcPending, type ScanOutcome } from './scan-converter.js';

export interface ScanStationReport {
  id: string;
  locationId: string;
  direction: StationRules['direction'];
  /** A serial station: 1 while its device is open; a page station: always true while the page is served. */
  deviceOpen: boolean;
  /** Scans handed to the record sink (stored, unless the buffer was full: then `buffer_full` is alarmed). */
  scans: number;
  /** Codes refused, by error code (docs/barcode.md "Errors"). */
  refused: Record<string, number>;
  lastError: string | null;
  /** Why the device failed to open or to read, until it is open again (a serial station). */
  deviceError: string | null;
  /** Gateway time of the last scan stored. */
  lastScanTs: number | null;
}

export type StationRules = Pick<
  ScanStationConfig,
  'id' | 'locationId' | 'direction' | 'symbologyId' | 'fnc1As' | 'hibcPairMs'
>;

/**
 * What every station does with a code, whatever brought it (a serial scanner, the scan page): convert it
 * at the gateway's time (`convertScanLine`, with the station's pending HIBC primary), store a scan through
 * the record sink, or log and count the refusal by its code.
 */
export function createScanIntake(station: StationRules, ctx: () => GatewayContext | undefined) {
  let pending: HibcPending | undefined;
  const stats: ScanStationReport = {
    id: station.id,
    locationId: station.locationId,
    direction: station.direction,
    deviceOpen: false,
    scans: 0,
    refused: {},
    lastError: null,
    deviceError: null,
    lastScanTs: null,
  };
  const refuse = (code: string, message: string, line?: string) => {
    stats.refused[code] = (stats.refused[code] ?? 0) + 1;
    stats.lastError = `${code}: ${message}`;
    ctx()?.log.warn({ station: station.id, code, line: line?.slice(0, 200) }, `scan refused: ${message}`);
  };
  return {
    stats,
    refuse,
    submit(line: string): ScanOutcome {
      const c = ctx();
      if (!c) throw new Error(`scan station ${station.id} is not started`);
      const now = c.clock.now();
      const { outcome, pending: next } = convertScanLine(line, station, now, pending);
      pending = next;
      if (!outcome.ok) refuse(outcome.code, outcome.message, line);
      else {
        c.records.movements([outcome.record]);
        stats.scans++;
        stats.lastScanTs = now;
      }
      return outcome;
    },
    report: (): ScanStationReport => ({ ...stats, refused: { ...stats.refused } }),
  };
}
export type ScanIntake = ReturnType<typeof createScanIntake>;
