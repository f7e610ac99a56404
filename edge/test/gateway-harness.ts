import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Alarm } from '@coldtrace/shared';
import pino from 'pino';
import { type GatewayConfigInput, parseGatewayConfig } from '../src/config.js';
import { type Gateway, type GatewayDeps, startGateway } from '../src/gateway.js';
import type { GatewayContext, GatewayModule } from '../src/module.js';

export const quietLog = pino({ level: process.env.LOG_LEVEL ?? 'silent' });

export const LIMITS = { minC: 2, maxC: 8, alarmDelayMs: 0, criticalMarginC: 40, maxGapMs: 600_000 };

/** A module that hands the test its context, to feed the gateway's real record sink directly. */
export function probeModule(): GatewayModule & { ctx(): GatewayContext } {
  let ctx: GatewayContext | undefined;
  return {
    name: 'test-probe',
    async start(c) {
      ctx = c;
    },
    async stop() {},
    ctx() {
      if (!ctx) throw new Error('probe module not started');
      return ctx;
    },
  };
}

/** Temp data dirs and started gateways, cleaned up by `close()`. */
export function gatewayRig() {
  const dirs: string[] = [];
  const gateways: Gateway[] = [];
  return {
    dir() {
      const d = mkdtempSync(join(tmpdir(), 'coldtrace-gw-'));
      dirs.push(d);
      return d;
    },
    async start(
      input: Partial<GatewayConfigInput> & Pick<GatewayConfigInput, 'mqtt'>,
      deps: GatewayDeps = {},
    ) {
      const g = await startGateway(
        parseGatewayConfig({ gatewayId: 'gw-test', dataDir: join(this.dir(), 'gw'), ...input }),
        { log: quietLog, ...deps },
      );
      gateways.push(g);
      return g;
    },
    async close() {
      for (const g of gateways.splice(0).reverse()) await g.stop();
      for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
    },
  };
}

/** Every alarm still in the gateway's buffer, oldest first. */
export function bufferedAlarms(g: Gateway): Alarm[] {
  const out: Alarm[] = [];
  let after: number | undefined;
  for (;;) {
    const page = g.buffer.peek('alarms', { afterSeq: after, limit: 1000 });
    if (!page) return out;
    out.push(...page.records);
    after = page.lastSeq;
  }
}
