import type { GatewayStatus, ScanPageHealth, ScanStationHealth } from '@coldtrace/shared';
import type { ScanStationReport } from './scan-intake.js';

export interface ScanStatusSources {
  serial: ScanStationReport[];
  /** Absent when the gateway has no scan page. */
  page?: { stations: ScanStationReport[]; health: ScanPageHealth };
}

/** One station's report as the retained status carries it (shared/src/status.ts). */
export function scanStationHealth(r: ScanStationReport, source: 'serial' | 'page'): ScanStationHealth {
  const state = r.deviceOpen ? 'open' : r.deviceError ? 'error' : 'closed';
  return {
    stationId: r.id,
    source,
    locationId: r.locationId,
    direction: r.direction,
    state,
    ...(r.lastScanTs !== null ? { lastScanTs: r.lastScanTs } : {}),
    scans: r.scans,
    refused: { ...r.refused },
    ...(r.lastError ? { lastError: r.lastError.slice(0, 500) } : {}),
  };
}

/**
 * The scan fields of the gateway's status. A gateway without scan stations or page sends none: a cloud
 * older than these fields refuses a status carrying them (the status schema is strict), so only gateways
 * that have scanners need the newer cloud (docs/barcode.md "Stations in the status").
 */
export function scanStatusFields(src: ScanStatusSources): Pick<GatewayStatus, 'scanStations' | 'scanPage'> {
  if (!src.serial.length && !src.page) return {};
  return {
    scanStations: [
      ...src.serial.map((r) => scanStationHealth(r, 'serial')),
      ...(src.page?.stations ?? []).map((r) => scanStationHealth(r, 'page')),
    ],
    ...(src.page ? { scanPage: src.page.health } : {}),
  };
}

/** What makes the gateway republish its status at once: a station's or the page's state changing. */
export function scanStateKey(fields: Pick<GatewayStatus, 'scanStations' | 'scanPage'>): string {
  return JSON.stringify([fields.scanStations?.map((s) => [s.stationId, s.state]), fields.scanPage?.state]);
}
