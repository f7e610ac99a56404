import { Backoff, type Clock, type ClockTimer, errorMessage } from '@coldtrace/shared';
import ModbusRTU from 'modbus-serial';
import type { Logger } from 'pino';
import { watchDevicePath } from './device-watch.js';
import { type Discarded, MatchedRtuPort } from './matched-rtu-port.js';
import type { ModbusBusConfig } from './modbus-config.js';

/** The open device: modbus-serial's client over the matching port. */
export interface OpenDevice {
  client: ModbusRTU;
  port: MatchedRtuPort;
}

export interface BusDevice {
  /** The device while it is open. */
  current(): OpenDevice | undefined;
  /** Opens the device (reopening it with backoff and the path watch until it is open). */
  start(): Promise<void>;
  /** The device failed under a request: close it and reopen. */
  lost(d: OpenDevice, why: string): void;
  stop(): Promise<void>;
  readonly reopenAttempts: number;
}

/**
 * The serial device of one bus. A device that vanishes or cannot be opened is reopened with the
 * shared backoff (`reopenMinMs` doubling to `reopenMaxMs`, so a returned device is open again within
 * `reopenMaxMs`) and, with `watchPath`, at once when its path appears again.
 */
export function createBusDevice(deps: {
  config: ModbusBusConfig;
  /** The gateway's clock (backoff timers). */
  clock: Clock;
  /** The response-timeout clock (how late a late reply was). */
  timeClock: Clock;
  log: Logger;
  onDiscard: (d: Discarded) => void;
}): BusDevice {
  const { config, clock, log } = deps;
  const backoff = new Backoff({ initialMs: config.reopenMinMs, maxMs: config.reopenMaxMs });
  let open: OpenDevice | undefined;
  let opening = false;
  let stopped = true;
  let reopenTimer: ClockTimer | undefined;
  let watcher: { close(): void } | undefined;
  let attempts = 0;

  const stopWatching = () => {
    watcher?.close();
    watcher = undefined;
  };

  const scheduleReopen = () => {
    if (stopped || opening || open) return;
    reopenTimer ??= clock.setTimeout(() => {
      reopenTimer = undefined;
      void openDevice();
    }, backoff.fail());
    if (config.watchPath && !watcher) {
      watcher = watchDevicePath(config.path, () => {
        if (stopped || opening || open) return;
        clock.clearTimeout(reopenTimer);
        reopenTimer = undefined;
        void openDevice();
      });
    }
  };

  const lost = (d: OpenDevice, why: string) => {
    if (open !== d) return;
    open = undefined;
    log.warn({ bus: config.id, path: config.path, why }, 'modbus device lost; reopening');
    try {
      d.client.close(() => {});
    } catch {
      // already closed
    }
    scheduleReopen();
  };

  const openDevice = async (): Promise<void> => {
    if (stopped || opening || open) return;
    opening = true;
    attempts++;
    const port = new MatchedRtuPort(config.path, {
      baudRate: config.baudRate,
      parity: config.parity,
      stopBits: config.stopBits,
      dataBits: config.dataBits,
      now: () => deps.timeClock.now(),
      onDiscard: deps.onDiscard,
    });
    const client = new ModbusRTU(port);
    const d: OpenDevice = { client, port };
    // modbus-serial re-emits serial errors; an EventEmitter 'error' without a listener would throw.
    client.on('error', (err: unknown) => lost(d, errorMessage(err)));
    try {
      await new Promise<void>((resolve, reject) =>
        client.open((err: unknown) => (err ? reject(err) : resolve())),
      );
    } catch (err) {
      opening = false;
      log.warn({ bus: config.id, path: config.path, err: errorMessage(err) }, 'cannot open modbus device');
      scheduleReopen();
      return;
    }
    opening = false;
    if (stopped) {
      port.close();
      return;
    }
    open = d;
    backoff.succeed();
    stopWatching();
    client.on('close', () => lost(d, 'port closed'));
    log.info({ bus: config.id, path: config.path }, 'modbus device open');
  };

  return {
    current: () => (open?.client.isOpen ? open : undefined),
    async start() {
      stopped = false;
      await openDevice();
    },
    lost,
    async stop() {
      stopped = true;
      clock.clearTimeout(reopenTimer);
      reopenTimer = undefined;
      stopWatching();
      const d = open;
      open = undefined;
      if (d?.client.isOpen) await new Promise<void>((resolve) => d.client.close(() => resolve()));
    },
    get reopenAttempts() {
      return attempts;
    },
  };
}
