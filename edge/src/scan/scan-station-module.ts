import { existsSync } from 'node:fs';
import { type ClockTimer, errorMessage } from '@coldtrace/shared';
import { SerialPort } from 'serialport';
import { watchDevicePath } from '../modbus/device-watch.js';
import type { GatewayContext, GatewayModule } from '../module.js';
import {
  type ScanStationConfig,
  type ScanStationConfigInput,
  scanStationConfigSchema,
} from './scan-config.js';
import { createScanFramer } from './scan-framer.js';
import { createScanIntake, type ScanStationReport } from './scan-intake.js';

export interface ScanStationModule extends GatewayModule {
  report(): ScanStationReport;
}

/**
 * A barcode scan station (docs/barcode.md): reads codes from a serial / USB-CDC scanner, converts each
 * (`convertScanLine`) and stores it on the movements stream through the gateway's record sink, i.e. in the
 * durable buffer like any other record. A code it cannot read is logged with its error code and counted,
 * never stored half-read. A device that closes or cannot be opened is opened again every `reopenMs`.
 */
export function createScanStationModule(input: ScanStationConfigInput): ScanStationModule {
  const cfg: ScanStationConfig = scanStationConfigSchema.parse(input);
  let ctx: GatewayContext | undefined;
  let port: SerialPort | undefined;
  let timer: ClockTimer | undefined;
  let stopped = false;
  let opening = false;
  let watcher: { close(): void } | undefined;
  const intake = createScanIntake(cfg, () => ctx);
  const { stats, refuse } = intake;

  const scheduleReopen = () => {
    if (stopped || timer !== undefined) return;
    timer = ctx!.clock.setTimeout(() => {
      timer = undefined;
      open();
    }, cfg.reopenMs);
  };

  const open = () => {
    if (stopped || opening || port?.isOpen) return;
    opening = true;
    const framer = createScanFramer(cfg);
    const p = new SerialPort({ path: cfg.path, baudRate: cfg.baudRate, autoOpen: false });
    port = p;
    p.setEncoding('latin1');
    p.on('data', (chunk: string) => {
      for (const item of framer.push(chunk)) {
        if ('line' in item) intake.submit(item.line);
        else
          refuse(
            'barcode_malformed',
            `a line of ${item.overlong} characters is longer than maxLength ${cfg.maxLength}`,
          );
      }
    });
    p.on('close', () => {
      stats.deviceOpen = false;
      if (!stopped) {
        ctx?.log.warn({ station: cfg.id, path: cfg.path }, 'scanner device closed; opening it again');
        scheduleReopen();
      }
    });
    p.on('error', (err) => {
      // A read error on an open port (EIO: the USB device or pty went away) ends this port.
      stats.lastError = errorMessage(err);
      stats.deviceError = stats.lastError;
      if (p.isOpen) p.close();
    });
    p.open((err) => {
      opening = false;
      if (err) {
        stats.lastError = `cannot open ${cfg.path}: ${errorMessage(err)}`;
        stats.deviceError = stats.lastError;
        ctx?.log.warn({ station: cfg.id, err: errorMessage(err) }, 'cannot open scanner device');
        scheduleReopen();
        return;
      }
      if (stopped) {
        p.close();
        return;
      }
      stats.deviceOpen = true;
      stats.deviceError = null;
      ctx?.log.info({ station: cfg.id, path: cfg.path }, 'scanner device open');
    });
  };

  return {
    name: `scan:${cfg.id}`,
    async start(c) {
      ctx = c;
      stopped = false;
      // The device path appearing or vanishing (USB plugged, pty made) is acted on at once, not at the
      // next reopen attempt.
      watcher = watchDevicePath(cfg.path, () => {
        if (existsSync(cfg.path)) {
          if (!port?.isOpen) {
            ctx?.clock.clearTimeout(timer);
            timer = undefined;
            open();
          }
        } else if (port?.isOpen) port.close();
      });
      open();
    },
    async stop() {
      stopped = true;
      watcher?.close();
      ctx?.clock.clearTimeout(timer);
      timer = undefined;
      const p = port;
      port = undefined;
      if (p?.isOpen) await new Promise<void>((resolve) => p.close(() => resolve()));
      stats.deviceOpen = false;
    },
    report: intake.report,
  };
}
