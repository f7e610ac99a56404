import { manualClock } from '@coldtrace/shared';
import { describe, expect, it } from 'vitest';
import { IngestHealth, ingestHealthSource } from '../../src/ingest/ingest-health.js';

describe('IngestHealth', () => {
  it('fails commits from a failed commit until one succeeds', () => {
    const clock = manualClock(0);
    const h = new IngestHealth({ clock, maxLagMs: 30_000 });
    expect(h.checks().commits).toEqual({ ok: true });
    h.commitFailed(new Error('SQLITE_FULL: database or disk is full'));
    clock.advance(2_000);
    expect(h.checks().commits).toEqual({
      ok: false,
      detail: 'the last ingest commit failed 2 s ago: SQLITE_FULL: database or disk is full',
    });
    h.committed();
    expect(h.checks().commits).toEqual({ ok: true });
  });

  it('clears a connection failure when a store probe started after it answers, and nothing else', () => {
    const clock = manualClock(0);
    const h = new IngestHealth({ clock, maxLagMs: 30_000 });
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    // A probe that started before the failure does not clear it (it may have answered before the outage).
    const early = h.probingStore();
    h.commitFailed(refused);
    early();
    expect(h.checks().commits).toMatchObject({ ok: false, detail: expect.stringMatching(/ECONNREFUSED/) });
    // A probe that failed (never calls back) leaves it; one that answered clears it.
    h.probingStore();
    expect(h.checks().commits.ok).toBe(false);
    h.probingStore()();
    expect(h.checks().commits).toEqual({ ok: true });

    // A commit failing during the probe re-asserts the failure: the probe's answer does not clear it.
    h.commitFailed(new Error('Connection terminated unexpectedly'));
    const during = h.probingStore();
    h.commitFailed(new Error('Connection terminated unexpectedly'));
    during();
    expect(h.checks().commits.ok).toBe(false);
    h.probingStore()();
    expect(h.checks().commits.ok).toBe(true);

    // A failure that is not a connection failure: a read answering does not show writes work again.
    for (const err of [
      new Error('SQLITE_FULL: database or disk is full'),
      Object.assign(new Error('could not extend file: No space left on device'), { code: '53100' }),
      Object.assign(new Error('cannot execute INSERT in a read-only transaction'), { code: '25006' }),
    ]) {
      h.commitFailed(err);
      h.probingStore()();
      expect(h.checks().commits.ok, err.message).toBe(false);
      h.committed();
      expect(h.checks().commits.ok).toBe(true);
    }

    // A connection failure, cleared, then a redelivery failing for another reason: failed again.
    h.commitFailed(
      Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
    );
    h.probingStore()();
    expect(h.checks().commits.ok).toBe(true);
    h.commitFailed(new Error('SQLITE_FULL: database or disk is full'));
    h.probingStore()();
    expect(h.checks().commits.ok).toBe(false);
  });

  it('fails ingest while a message has been in ingest longer than the limit', () => {
    const clock = manualClock(0);
    const h = new IngestHealth({ clock, maxLagMs: 30_000 });
    const first = h.begin();
    clock.advance(20_000);
    const second = h.begin();
    clock.advance(10_000);
    expect(h.checks().ingest).toEqual({ ok: true });
    clock.advance(1);
    expect(h.checks().ingest).toEqual({
      ok: false,
      detail: 'a message has been in ingest for 30001 ms (limit 30000 ms); 2 in ingest',
    });
    first();
    expect(h.checks().ingest.ok).toBe(true); // the second has waited 10 s
    second();
    clock.advance(60_000);
    expect(h.checks().ingest.ok).toBe(true);
  });

  it('reports brokers not started yet as not ready, and the embedded one as liveness', () => {
    const h = new IngestHealth({ clock: manualClock(0), maxLagMs: 30_000 });
    let broker: { health(): { ok: boolean } } | undefined;
    const source = ingestHealthSource(h, { embedded: () => broker, external: () => undefined });
    expect(source.live()).toEqual({ broker: { ok: false, detail: 'not started' } });
    expect(source.ready()).toMatchObject({
      commits: { ok: true },
      broker: { ok: false },
      external_broker: { ok: false },
    });
    broker = { health: () => ({ ok: true }) };
    expect(source.live()).toEqual({ broker: { ok: true } });
    expect(ingestHealthSource(h, {}).ready()).toEqual({ commits: { ok: true }, ingest: { ok: true } });
    h.commitFailed(new Error('Connection terminated unexpectedly'));
    const answered = ingestHealthSource(h, {}).probingStore?.();
    expect(ingestHealthSource(h, {}).ready().commits?.ok).toBe(false);
    answered?.();
    expect(ingestHealthSource(h, {}).ready().commits).toEqual({ ok: true });
  });
});
