import type { KeyObject } from 'node:crypto';
import { type Clock, errorMessage } from '@coldtrace/shared';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import type { CheckpointDestination } from '../audit-checkpoints/checkpoint-files.js';
import { loadPrivateKey } from '../audit-checkpoints/checkpoint-keys.js';
import { createCheckpoint } from '../audit-checkpoints/checkpoints.js';
import type { Database } from '../store/schema.js';
import type { CloudModule } from './cloud-module.js';

export interface CheckpointModuleOptions {
  db: Kysely<Database>;
  keyFile: string;
  dest: CheckpointDestination;
  intervalMs: number;
  /** The wall clock: checkpoints are a security record (docs/architecture.md "Time"). */
  clock: Clock;
  log: Logger;
  registry: Registry;
}

/**
 * Signed checkpoints of the audit trail (docs/architecture.md "Audit trail", checkpoints): one when the
 * cloud starts, one every `intervalMs` of wall time, one when it stops. Optional: a key that cannot be read
 * fails its start (logged and counted, the cloud runs on); a checkpoint that cannot be written is logged and
 * counted in `coldtrace_audit_checkpoints_total{result="failed"}` and the next one is tried on time.
 */
export function checkpointModule(o: CheckpointModuleOptions): CloudModule & {
  /** Writes one now (the interval's work); resolves when it is written or has failed. */
  checkpoint(): Promise<void>;
} {
  const counter = new Counter({
    name: 'coldtrace_audit_checkpoints_total',
    help: 'Signed audit checkpoints written (result=written) or that failed (result=failed)',
    labelNames: ['result'],
    registers: [o.registry],
  });
  counter.inc({ result: 'written' }, 0);
  counter.inc({ result: 'failed' }, 0);
  let key: KeyObject | undefined;
  let timer: ReturnType<Clock['setInterval']> | undefined;
  let running: Promise<void> = Promise.resolve();
  const checkpoint = () => {
    // One at a time: a slow write is not overtaken by the next tick.
    running = running.then(async () => {
      if (!key) return;
      try {
        const { checkpoint: cp, written } = await createCheckpoint(o.db, key, o.dest, o.clock.now());
        counter.inc({ result: 'written' });
        o.log.info(
          { auditSeq: cp.audit.seq, gateways: cp.readings.length, written },
          'audit checkpoint signed',
        );
      } catch (err) {
        counter.inc({ result: 'failed' });
        o.log.error({ err: errorMessage(err), code: 'checkpoint_write_failed' }, 'audit checkpoint failed');
      }
    });
    return running;
  };
  return {
    name: 'audit checkpoints',
    required: false,
    checkpoint,
    async start() {
      key = loadPrivateKey(o.keyFile);
      await checkpoint();
      timer = o.clock.setInterval(() => void checkpoint(), o.intervalMs);
    },
    async stop() {
      o.clock.clearInterval(timer);
      timer = undefined;
      await checkpoint();
      key = undefined;
    },
  };
}
