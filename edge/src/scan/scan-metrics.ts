import { Counter, Gauge, type Registry } from 'prom-client';
import type { ScanStationReport } from './scan-intake.js';

/** Scan stations in the gateway's /metrics (docs/barcode.md "Stations"), read from each station's report. */
export function registerScanMetrics(registry: Registry, stations: () => ScanStationReport[]): void {
  const registers = [registry];
  new Gauge({
    name: 'coldtrace_gateway_scan_device_open',
    help: "1 while the scan station's serial device is open",
    labelNames: ['station'],
    registers,
    collect() {
      this.reset();
      for (const s of stations()) this.set({ station: s.id }, s.deviceOpen ? 1 : 0);
    },
  });
  new Counter({
    name: 'coldtrace_gateway_scans_total',
    help: 'Scans handed to the buffer (movements stream, kind scan; a full buffer refuses and alarms)',
    labelNames: ['station'],
    registers,
    collect() {
      this.reset();
      for (const s of stations()) this.inc({ station: s.id }, s.scans);
    },
  });
  new Counter({
    name: 'coldtrace_gateway_scans_refused_total',
    help: 'Scanned codes refused, by error code (barcode_*, hibc_*)',
    labelNames: ['station', 'code'],
    registers,
    collect() {
      this.reset();
      for (const s of stations())
        for (const [code, n] of Object.entries(s.refused)) this.inc({ station: s.id, code }, n);
    },
  });
}
