import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SerialPort } from 'serialport';
import { type SocatPair, startSocatPair } from '../modbus/socat-pair.js';

export interface ScannerSimulatorOptions {
  /** Where to create the device pair (default: a new temporary directory, removed on stop). */
  dir?: string;
  baudRate?: number;
  /** Sent before each code (some scanners send STX). */
  prefix?: string;
  /** Sent after each code: what ends a code (CR by default, as most scanners ship). */
  suffix?: string;
}

export interface ScannerSimulator {
  /** The device to give the gateway's scan station (`scanStations[].path`). */
  readonly devicePath: string;
  /** Transmits one code as a serial scanner does: prefix, code, suffix; resolves once written out. */
  send(code: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A serial (USB-CDC) barcode scanner on a pseudo-terminal made by socat: the gateway opens `devicePath`
 * like a real scanner's `/dev/ttyACM0`; the simulator writes to the other end. Codes sent before the
 * gateway opened the device wait in the line (up to the terminal's buffer, then `send` waits).
 */
export async function startScannerSimulator(opts: ScannerSimulatorOptions = {}): Promise<ScannerSimulator> {
  const ownDir = opts.dir === undefined;
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'coldtrace-scanner-'));
  let pair: SocatPair | undefined;
  let port: SerialPort | undefined;
  const prefix = opts.prefix ?? '';
  const suffix = opts.suffix ?? '\r';
  try {
    pair = await startSocatPair(join(dir, 'ttyScanner'), join(dir, 'ttyScannerSim'), {
      waitForGateway: true,
    });
    const p = new SerialPort({ path: pair.simPath, baudRate: opts.baudRate ?? 9600, autoOpen: false });
    await new Promise<void>((resolve, reject) => p.open((e) => (e ? reject(e) : resolve())));
    port = p;
  } catch (err) {
    await pair?.stop();
    if (ownDir) rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const open = port;
  const openPair = pair;
  return {
    devicePath: openPair.gatewayPath,
    send: (code) =>
      new Promise<void>((resolve, reject) =>
        open.write(prefix + code + suffix, (e) =>
          e ? reject(e) : open.drain((d) => (d ? reject(d) : resolve())),
        ),
      ),
    async stop() {
      if (open.isOpen) await new Promise<void>((r) => open.close(() => r()));
      await openPair.stop();
      if (ownDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
