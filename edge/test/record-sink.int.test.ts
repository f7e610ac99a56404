import type { ReadingQuality } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { gatewayRig, LIMITS, probeModule } from './gateway-harness.js';
import { startBroker, type TestBroker } from './publisher/helpers.js';

/**
 * The wiring of the urgency rule (reading-urgency.ts, tabled in reading-urgency.test.ts): a real gateway
 * and publisher on a real aedes broker, batches held for a minute, so a readings batch is sent only when
 * the sink marks it urgent. The publisher sends synchronously inside the sink call, so each step counts
 * its own sends.
 */
const rig = gatewayRig();
let broker: TestBroker | undefined;
afterEach(async () => {
  await rig.close();
  await broker?.close();
  broker = undefined;
});

describe('urgent readings', () => {
  it('the sink applies the rule per sensor, with its location’s limits, and the publisher sends at once', async () => {
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
      const seq = g.buffer.lastSeq('readings');
      probe
        .ctx()
        .records.readings([
          { sensorId: 's1', locationId: 'room-1', ts: ts++, tempC: quality === 'ok' ? tempC : null, quality },
        ]);
      const urgent = sent > before;
      // Not sent only counts if the reading was stored (the rule ran) and the publisher could send.
      expect(g.buffer.lastSeq('readings')).toBe(seq + 1);
      expect(g.publisher.connected).toBe(true);
      await until(() => g.publisher.inflight().readings === 0, 'in-flight batches acknowledged');
      return urgent;
    };

    expect(await poll('ok', 4.5)).toBe(false);
    expect(await poll('timeout')).toBe(true); // the sink remembers the sensor's last quality…
    expect(await poll('timeout')).toBe(false);
    expect(await poll('ok', 4.6)).toBe(true);
    expect(await poll('ok', 9.1)).toBe(true); // …and knows its location's limits
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
