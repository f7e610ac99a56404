import { gatewayTopic, type Reading } from '@coldtrace/shared';
import type { MqttClient } from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EPOCH_SEQ_SPAN, MAX_EPOCH_INDEX } from '../../src/domain/ingest/epochs.js';
import { bearer } from '../helpers/auth.js';
import { readings, T0 } from '../helpers/records.js';
import { startTestCloud, type TestCloud } from '../helpers/test-cloud.js';

/**
 * A gateway whose buffer.db was lost restarts its sequences at 1 under a new epoch (docs/durability.md
 * "Epoch"): through the embedded broker, every record of both epochs is stored, and the reset is loud
 * (audit entry, metric, warning log, gateway view and data-gaps API).
 */
const GW = 'gw-reset';
const A = '0123456789abcdef';
const B = 'fedcba9876543210';
const N = 120;
const M = 80;

let cloud: TestCloud;
let gw: MqttClient;
const logLines: Array<{ level: number; msg: string; [k: string]: unknown }> = [];

beforeAll(async () => {
  const log = pino(
    { level: 'info' },
    { write: (line: string) => void logLines.push(JSON.parse(line) as (typeof logLines)[number]) },
  );
  cloud = await startTestCloud({}, { log });
  gw = await cloud.connect(GW, await cloud.addGateway(GW));
});
afterAll(async () => {
  await gw?.endAsync();
  await cloud?.stop();
});

/** Publishes seqs from..to of one epoch in batches of 50, each awaited (PUBACK = committed). */
async function publish(epoch: string, from: number, to: number, tempC = 5): Promise<void> {
  // Other timestamps per epoch: the new buffer's readings are later readings of the same sensors.
  const all: Reading[] = readings(to - from + 1, {
    firstSeq: from,
    tempC,
    sensorId: `s-${epoch.slice(0, 4)}`,
  });
  for (let i = 0; i < all.length; i += 50) {
    const records = all.slice(i, i + 50);
    const batch = {
      gatewayId: GW,
      firstSeq: records[0]!.seq,
      lastSeq: records[records.length - 1]!.seq,
      sentAt: T0,
      epoch,
      records,
    };
    await gw.publishAsync(gatewayTopic(GW, 'readings'), JSON.stringify(batch), { qos: 1 });
  }
}

const api = async (url: string, role: 'viewer' | 'qa' = 'viewer') =>
  (await cloud.app.inject({ method: 'GET', url, headers: await bearer(cloud, [role]) })).json();
const metric = async (line: RegExp) =>
  (await cloud.app.inject({ method: 'GET', url: '/metrics' })).body.match(line)?.[1];

describe('sequence reset through the embedded broker', () => {
  it('stores all N + M records of two epochs, audits the reset, counts it and shows it', async () => {
    await publish(A, 1, N);
    await publish(B, 1, M);

    const rows = await cloud.store.listReadings({ gatewayId: GW });
    expect(rows).toHaveLength(N + M);
    expect(rows.map((r) => r.seq).sort((x, y) => x - y)).toEqual([
      ...Array.from({ length: N }, (_, i) => i + 1),
      ...Array.from({ length: M }, (_, i) => EPOCH_SEQ_SPAN + i + 1),
    ]);
    expect(await metric(/coldtrace_ingest_records_total\{stream="readings",result="duplicate"\} (\d+)/)).toBe(
      undefined,
    );
    expect(await metric(/coldtrace_sequence_resets_total\{stream="readings"\} (\d+)/)).toBe('1');

    const audit = (await api(`/api/v1/audit?entityType=gateway&entityId=${GW}`)) as Array<{
      action: string;
      actor: string;
      before: unknown;
      after: unknown;
      reason: string;
    }>;
    const resets = audit.filter((e) => e.action === 'gateway.sequence_reset');
    expect(resets).toHaveLength(1);
    expect(resets[0]).toMatchObject({
      actor: 'system',
      before: { stream: 'readings', epoch: A, epochIndex: 0, highWater: N },
      after: { stream: 'readings', epoch: B, epochIndex: 1, seqOffset: EPOCH_SEQ_SPAN },
    });
    expect(resets[0]!.reason).toMatch(/buffer database was lost or replaced/);
    expect((await api('/api/v1/audit/verify', 'qa')) as { ok: boolean }).toMatchObject({ ok: true });

    const warnings = logLines.filter((l) => l.level === 40 && /sequence reset/.test(l.msg));
    expect(warnings).toEqual([
      expect.objectContaining({
        gatewayId: GW,
        stream: 'readings',
        fromEpoch: A,
        toEpoch: B,
        previousHighWater: N,
      }),
    ]);

    const view = await api(`/api/v1/gateways/${GW}`);
    expect(view).toMatchObject({
      dataGaps: [],
      highWater: { readings: M },
      sequenceResets: [
        { stream: 'readings', at: expect.any(Number), fromEpoch: A, toEpoch: B, previousHighWater: N },
      ],
    });
  });

  it('keeps late records of the old epoch in its space and shows holes per epoch in /data-gaps', async () => {
    await publish(A, N - 9, N + 10); // 10 duplicates, 10 late records of the lost buffer
    await publish(B, M + 21, M + 30); // a hole M+1..M+20 in epoch B
    expect(await cloud.store.listReadings({ gatewayId: GW })).toHaveLength(N + M + 20);
    expect(await metric(/coldtrace_sequence_resets_total\{stream="readings"\} (\d+)/)).toBe('1');
    const gaps = ((await api('/api/v1/data-gaps')) as Array<{ gatewayId: string }>).filter(
      (c) => c.gatewayId === GW,
    );
    expect(gaps).toEqual([
      {
        gatewayId: GW,
        stream: 'readings',
        highWater: M + 30,
        thinned: 0,
        holes: [{ from: M + 1, to: M + 20 }],
        epoch: B,
        epochIndex: 1,
        sequenceReset: { at: expect.any(Number), fromEpoch: A, toEpoch: B, previousHighWater: N },
      },
      {
        gatewayId: GW,
        stream: 'readings',
        highWater: N + 10,
        thinned: 0,
        holes: [],
        epoch: A,
        epochIndex: 0,
      },
    ]);
    const view = await api(`/api/v1/gateways/${GW}`);
    expect(view.dataGaps).toEqual([{ stream: 'readings', from: M + 1, to: M + 20, epoch: B }]);
    expect(view.highWater).toEqual({ readings: M + 30 });
  });

  it('dead-letters, never stores, a batch that cannot be placed in an epoch space', async () => {
    const letters = async () => (await cloud.store.listDeadLetters(10)).map((d) => [d.code, d.gateway_id]);
    const stored = (await cloud.store.counts()).readings;
    // A seq beyond one epoch's 2^40 space would run into the next epoch's keys.
    const far = readings(1, { firstSeq: EPOCH_SEQ_SPAN, ts: T0 });
    await gw.publishAsync(
      gatewayTopic(GW, 'readings'),
      JSON.stringify({
        gatewayId: GW,
        firstSeq: EPOCH_SEQ_SPAN,
        lastSeq: EPOCH_SEQ_SPAN,
        sentAt: T0,
        records: far,
      }),
      { qos: 1 },
    );
    expect((await letters())[0]).toEqual(['seq_out_of_range', GW]);
    // A stream that used every epoch index gets no new one.
    await cloud.store.db
      .insertInto('stream_epochs')
      .values({
        gateway_id: GW,
        stream: 'movements',
        epoch_index: MAX_EPOCH_INDEX,
        epoch: A,
        seq_offset: MAX_EPOCH_INDEX * EPOCH_SEQ_SPAN,
        first_seen_at: T0,
        prev_epoch: null,
        prev_high_water: null,
      })
      .execute();
    const movement = {
      seq: 1,
      epc: '3074257BF7194E4000001A85',
      portalId: 'dock-1',
      kind: 'pass',
      from: 'room-1',
      to: 'truck-1',
      direction: 'out',
      ts: T0,
      firstSeen: T0,
      lastSeen: T0,
      reads: 3,
      peakRssi: -50,
    };
    await gw.publishAsync(
      gatewayTopic(GW, 'movements'),
      JSON.stringify({ gatewayId: GW, firstSeq: 1, lastSeq: 1, sentAt: T0, epoch: B, records: [movement] }),
      { qos: 1 },
    );
    expect((await letters())[0]).toEqual(['epochs_exhausted', GW]);
    expect((await cloud.store.counts()).readings).toBe(stored);
    expect(await cloud.store.listMovements({ gatewayId: GW })).toEqual([]);
  });

  it('keeps records sent under reused numbers (buffer.db restored from a backup) and shows them', async () => {
    const before = (await cloud.store.counts()).readings;
    await publish(B, 1, 10, 7); // numbers 1..10 of epoch B again, with other readings
    await publish(B, 1, 10, 7); // and that replay once more: duplicates
    expect((await cloud.store.counts()).readings).toBe(before + 10);
    expect(await metric(/coldtrace_sequence_reused_records_total\{stream="readings"\} (\d+)/)).toBe('10');
    const errors = logLines.filter((l) => l.level === 50 && l.code === 'sequence_reused');
    expect(errors).toEqual([
      expect.objectContaining({
        gatewayId: GW,
        stream: 'readings',
        reused: 10,
        forks: [{ epoch: B, fork: `${B}~1`, firstSeq: 1 }],
      }),
    ]);
    const view = await api(`/api/v1/gateways/${GW}`);
    expect(view.sequenceReuses).toEqual([
      { stream: 'readings', epoch: B, fork: `${B}~1`, epochIndex: 2, at: expect.any(Number), records: 10 },
    ]);
    // The epoch's own coverage is unchanged: the reused numbers were covered already.
    expect(view.dataGaps).toEqual([{ stream: 'readings', from: M + 1, to: M + 20, epoch: B }]);
    const audit = (await api(`/api/v1/audit?entityType=gateway&entityId=${GW}`)) as Array<{ action: string }>;
    expect(audit.filter((e) => e.action === 'gateway.sequence_reuse')).toHaveLength(1);
    expect((await api('/api/v1/audit/verify', 'qa')) as { ok: boolean }).toMatchObject({ ok: true });
  });
});
