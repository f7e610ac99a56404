import { sgtin96, startLlrpSimulator } from '@coldtrace/firmware-sim';
import type { TagRead } from '@coldtrace/shared/llrp';
import { MessageType, StatusCode } from '@coldtrace/shared/llrp';
import { until } from '@coldtrace/shared/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { LlrpReaderConnector } from '../../src/llrp/connector.js';
import { localReader } from './local-reader.js';

// LLRP 1.0.1 §16.1.4-§16.1.8: a reader that answers ADD/ENABLE/START_ROSPEC with a non-success
// LLRPStatus (§16.2.8.1) is not inventorying. The connector must say so (error naming the step and the
// status, state never 'connected', which the gateway's health reports), retry with backoff, and read
// once the reader accepts again. The reader is the TCP simulator told to refuse (`inject.refuse`).

const closers: (() => unknown)[] = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

const STEPS = [
  ['ADD_ROSPEC', MessageType.ADD_ROSPEC, StatusCode.R_DeviceError, 'R_DeviceError (401)'],
  ['ENABLE_ROSPEC', MessageType.ENABLE_ROSPEC, StatusCode.M_FieldError, 'M_FieldError (101)'],
  ['START_ROSPEC', MessageType.START_ROSPEC, StatusCode.R_DeviceError, 'R_DeviceError (401)'],
] as const;

describe('a reader refusing a ROSpec step', () => {
  for (const [step, type, code, codeText] of STEPS) {
    it(`${step} refused: error with the step and status, never connected, reads once accepted`, async () => {
      const sim = await startLlrpSimulator({ realtime: false });
      closers.push(() => sim.close());
      sim.inject.refuse(type, code, 'reader busy');
      const states: { state: string; error?: string }[] = [];
      const retries: string[] = [];
      const reads: TagRead[] = [];
      const c = new LlrpReaderConnector({
        ...localReader(sim.port),
        reconnect: { initialMs: 20, maxMs: 100, healthyMs: 0 },
        rospecId: 7,
        antennas: [1, 2],
        reportEveryTags: 1,
        onTags: (r) => reads.push(...r),
        onState: (state, error) => states.push({ state, ...(error ? { error } : {}) }),
        onRetry: (r) => retries.push(r.error),
      });
      closers.push(() => c.stop());
      c.start();

      // Connected would be the bug: stop waiting then, so the assertions below say what went wrong.
      await until(() => retries.length >= 2 || c.state === 'connected', 'two refused setups');
      const expected = `${step}_RESPONSE: ${codeText} "reader busy"`;
      // Each attempt fails at that step, with the reader's code and description, and is retried.
      expect(retries.slice(0, 2)).toEqual([expected, expected]);
      expect(states.filter((s) => s.state === 'error').slice(0, 2)).toEqual([
        { state: 'error', error: expected },
        { state: 'error', error: expected },
      ]);
      expect(states.map((s) => s.state)).not.toContain('connected');
      expect(c.state).not.toBe('connected');
      expect(sim.appliedRadio()).toBeNull(); // no ROSpec runs on the reader
      expect(sim.stats.errorsSent).toBeGreaterThanOrEqual(2);

      sim.inject.accept(type);
      await until(() => c.state === 'connected', 'set up once the reader accepts');
      await sim.waitActive(5000);
      await sim.present([{ epc: sgtin96(614141, 812345, 1), side: 'outside' }], { durationMs: 200 });
      await until(() => reads.length > 0, 'tag reads after recovery');
      expect(reads[0]!.rospecId).toBe(7);
    });
  }
});
