import { errorMessage, type ScanPageHealth } from '@coldtrace/shared';
import type { GatewayContext, GatewayModule } from '../module.js';
import { createScanIntake, type ScanIntake, type ScanStationReport } from './scan-intake.js';
import { type ScanPageConfig, type ScanPageConfigInput, scanPageConfigSchema } from './scan-page-config.js';
import { type ScanPageServer, startScanPageServer } from './scan-page-server.js';

export interface ScanPageModule extends GatewayModule {
  /** The page's port once started (0 in the config: any free port). */
  port(): number | undefined;
  report(): ScanStationReport[];
  /** The page's state for the gateway's retained status. */
  health(): ScanPageHealth;
}

/**
 * The gateway's local scan page (docs/barcode.md "Scan page"): keyboard-wedge handhelds type into a
 * browser at the station; each code goes through the same intake as a serial scanner's.
 */
export function createScanPageModule(input: ScanPageConfigInput): ScanPageModule {
  const cfg: ScanPageConfig = scanPageConfigSchema.parse(input);
  let ctx: GatewayContext | undefined;
  let server: ScanPageServer | undefined;
  let startError: string | undefined;
  const intakes = new Map<string, ScanIntake>(
    cfg.stations.map((s) => [s.id, createScanIntake(s, () => ctx)]),
  );
  const setOpen = (open: boolean) => {
    for (const i of intakes.values()) i.stats.deviceOpen = open;
  };
  return {
    name: 'scan-page',
    async start(c) {
      ctx = c;
      startError = undefined;
      server = await startScanPageServer(cfg, (id, code) => {
        const intake = intakes.get(id)!;
        if (code.length > cfg.stations.find((s) => s.id === id)!.maxLength) {
          const message = `a code of ${code.length} characters is longer than maxLength`;
          intake.refuse('barcode_malformed', message, code);
          return { ok: false, code: 'barcode_malformed', message };
        }
        return intake.submit(code);
      }).catch((err: unknown) => {
        // The gateway runs on without the page (module isolation); its status says why.
        startError = errorMessage(err);
        throw err;
      });
      setOpen(true);
      c.log.info({ host: cfg.host, port: server.port, stations: [...intakes.keys()] }, 'scan page listening');
    },
    async stop() {
      setOpen(false);
      await server?.close();
      server = undefined;
    },
    port: () => server?.port,
    report: () => [...intakes.values()].map((i) => i.report()),
    health: () => {
      const port = server?.port;
      if (server && port) return { state: 'serving', host: cfg.host, port };
      if (startError) return { state: 'error', host: cfg.host, lastError: startError.slice(0, 500) };
      return { state: 'stopped', host: cfg.host };
    },
  };
}
