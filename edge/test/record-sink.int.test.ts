import type { ReadingQuality } from '@coldtrace/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { gatewayRig, LIMITS, probeModule } from './gateway-harness.js';
import { startBroker, type TestBroker, until } from './publisher/helpers.js';

/**
 * Which readings go out at once (DESIGN "Publisher"): a real gateway and publisher on a real aedes
 * broker, batches held for a minute, so a readings batch is sent only when the sink marks it urgent.
 * The publisher sends synchronously inside the sink call, so each step counts its own sends.
 */
const rig = gatewayRig();
let broker: TestBroker | undefined;
afterEach(async () => {
  await rig.close();
  await broker?.close();
  broker = undefined;
});

describe('urgent readings', () => {
  it('a failing sensor is urgent on its first error, a change of fault and its recovery, not on every poll', async () => {
    broker = await startBroker();
    const probe = probeModule();
    const g = await rig.start(
      {
        mqtt: { url: `mqtt://127.0.0.1:${broker.port}`, reconnectMs: 100 },
        batch: { maxRecords: 500, maxAgeMs: 60_000 },
        locations: [{ id: 'room-1', limits: LIMITS }],
      },
      { modules: [probe] },
    );
    await until(() => g.publisher.connected, 'connected');
    let sent = 0;
    g.publisher.on('sent', (b) => {
      if (b.stream === 'readings') sent++;
    });
    let ts = Date.now();
    /** Stores one reading of sensor `s1`; resolves to whether it made the publisher send at once. */
    const poll = async (quality: ReadingQuality, tempC: number | null = null): Promise<boolean> => {
      const before = sent;
      probe
        .ctx()
        .records.readings([
          { sensorId: 's1', locationId: 'room-1', ts: ts++, tempC: quality === 'ok' ? tempC : null, quality },
        ]);
      const urgent = sent > before;
      await until(() => g.publisher.inflight().readings === 0, 'in-flight batches acknowledged');
      return urgent;
    };

    expect(await poll('ok', 4.5)).toBe(false);
    expect(await poll('timeout')).toBe(true); // the first error
    // A dead sensor: one error reading per poll, sent with the normal batches (was one publish each).
    for (let k = 0; k < 5; k++) expect(await poll('timeout')).toBe(false);
    expect(await poll('crc_error')).toBe(true); // another fault
    expect(await poll('crc_error')).toBe(false);
    expect(await poll('ok', 4.6)).toBe(true); // the recovery
    expect(await poll('ok', 4.7)).toBe(false);
    // Out of range stays urgent on every reading.
    expect(await poll('ok', 9.1)).toBe(true);
    expect(await poll('ok', 9.2)).toBe(true);
    expect(await poll('ok', 5)).toBe(false);
    // Another sensor's first error is its own change.
    const before = sent;
    probe
      .ctx()
      .records.readings([
        { sensorId: 's2', locationId: 'room-1', ts: ts++, tempC: null, quality: 'timeout' },
      ]);
    expect(sent).toBe(before + 1);
  });
});
