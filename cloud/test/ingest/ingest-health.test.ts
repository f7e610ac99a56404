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
  });
});
