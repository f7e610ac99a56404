import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RecordBuffer, StreamName } from '../../src/buffer/record-buffer.js';
import { boundContract } from './buffer-contract-bound.js';
import { sequenceContract } from './buffer-contract-sequences.js';
import {
  BIG,
  type ContractOpenOptions,
  type CrashImage,
  drain,
  expectSameSpan,
  type OpenBuffer,
} from './buffer-contract-support.js';
import { alarm, movement, reading } from './fixtures.js';

/**
 * The contract every RecordBuffer backend must pass (docs/architecture.md "Tests": one contract suite
 * per backend interface). `open(dir)` must return a buffer persisted in `dir`; calling it again on the
 * same dir after `close()` must reopen the same data.
 */
export function runBufferContract(name: string, open: OpenBuffer, crashImage?: CrashImage): void {
  describe(`RecordBuffer contract: ${name}`, () => {
    let dir: string;
    let buf: RecordBuffer | undefined;
    const reopen = (opts?: ContractOpenOptions) => {
      buf?.close();
      buf = open(dir, opts);
      return buf;
    };
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'coldtrace-buffer-'));
      buf = undefined;
    });
    afterEach(() => {
      buf?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    sequenceContract(reopen);
    boundContract(reopen);

    it('property: random append/publish/ack/crash/reopen keep order and lose no unacked record', () => {
      type Cmd =
        | { t: 'append'; stream: StreamName; n: number }
        | { t: 'publish'; stream: StreamName; limit: number }
        | { t: 'puback'; stream: StreamName; k: number }
        | { t: 'crash' };
      const streamArb = fc.constantFrom<StreamName>('readings', 'movements', 'alarms');
      const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
        fc.record({
          t: fc.constant('append' as const),
          stream: streamArb,
          n: fc.integer({ min: 1, max: 20 }),
        }),
        fc.record({
          t: fc.constant('publish' as const),
          stream: streamArb,
          limit: fc.integer({ min: 1, max: 15 }),
        }),
        fc.record({
          t: fc.constant('puback' as const),
          stream: streamArb,
          k: fc.integer({ min: 0, max: 3 }),
        }),
        fc.constant({ t: 'crash' as const }),
      );
      let run = 0;
      fc.assert(
        fc.property(fc.array(cmdArb, { maxLength: 40 }), (cmds) => {
          run += 1;
          buf?.close();
          buf = undefined;
          rmSync(dir, { recursive: true, force: true });
          dir = mkdtempSync(join(tmpdir(), `coldtrace-prop-${run}-`));
          let b = reopen({ maxBytes: BIG });
          const model: Record<StreamName, unknown[]> = { readings: [], movements: [], alarms: [] };
          const acked: Record<StreamName, number> = { readings: 0, movements: 0, alarms: 0 };
          const nextSeq: Record<StreamName, number> = { readings: 1, movements: 1, alarms: 1 };
          // Batches "in flight" as a publisher would track them: [firstSeq, lastSeq].
          let inflight: Record<StreamName, Array<[number, number]>> = {
            readings: [],
            movements: [],
            alarms: [],
          };
          const make = (s: StreamName, k: number) =>
            s === 'readings' ? reading(k) : s === 'movements' ? movement(k) : alarm(k);
          for (const c of cmds) {
            if (c.t === 'append') {
              const recs = Array.from({ length: c.n }, (_, k) => make(c.stream, nextSeq[c.stream] + k));
              // biome-ignore lint/suspicious/noExplicitAny: the contract test appends each stream's own type
              const out = b.append(c.stream, recs as any[]);
              expect(out.map((r) => r.seq)).toEqual(recs.map((_, k) => nextSeq[c.stream] + k));
              nextSeq[c.stream] += c.n;
              model[c.stream].push(...out);
            } else if (c.t === 'publish') {
              const fl = inflight[c.stream];
              const after = fl.length ? fl[fl.length - 1]![1] : undefined;
              expectSameSpan(b, c.stream, { afterSeq: after, limit: c.limit });
              const page = b.peek(c.stream, { afterSeq: after, limit: c.limit });
              const expected = model[c.stream].filter((r) => (r as { seq: number }).seq > (after ?? 0));
              if (!page) expect(expected).toEqual([]);
              else {
                expect(page.records).toEqual(expected.slice(0, c.limit));
                fl.push([page.firstSeq, page.lastSeq]);
              }
            } else if (c.t === 'puback') {
              const fl = inflight[c.stream];
              const done = fl.splice(0, Math.min(c.k, fl.length));
              const upTo = done.at(-1)?.[1];
              if (upTo !== undefined) {
                b.ack(c.stream, upTo);
                acked[c.stream] = upTo;
                model[c.stream] = model[c.stream].filter((r) => (r as { seq: number }).seq > upTo);
              }
            } else {
              // Crash: the process vanishes; in-flight state (memory) is lost. With a crash image the
              // files are taken as they are on disk while the old buffer is still open (never closed,
              // nothing checkpointed), and the image is opened; else a close and reopen.
              if (crashImage) {
                const image = mkdtempSync(join(tmpdir(), `coldtrace-crash-${run}-`));
                crashImage(dir, image);
                const old = dir;
                dir = image;
                buf = undefined;
                b.close();
                rmSync(old, { recursive: true, force: true });
              }
              b = reopen({ maxBytes: BIG });
              inflight = { readings: [], movements: [], alarms: [] };
            }
            for (const s of ['readings', 'movements', 'alarms'] as const) {
              const head = b.peek(s, { limit: 1_000 });
              expect(head?.records ?? []).toEqual(model[s]);
              expect(b.lastSeq(s)).toBe(nextSeq[s] - 1);
            }
          }
          b = reopen({ maxBytes: BIG });
          for (const s of ['readings', 'movements', 'alarms'] as const) {
            expect(drain(b, s, 7).records).toEqual(model[s]);
            expect(b.stats().lastSeq?.[s]).toBe(nextSeq[s] - 1);
          }
          expect(b.stats().records).toBe(
            model.readings.length + model.movements.length + model.alarms.length,
          );
        }),
        { numRuns: 60 },
      );
    });
  });
}
