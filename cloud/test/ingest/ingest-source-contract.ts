import { gatewayTopic, systemClock } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IngestSource } from '../../src/ingest/ingest-source.js';
import { type IncomingMessage, type IngestOutcome, Ingestor } from '../../src/ingest/ingestor.js';
import type { CloudStore } from '../../src/store/cloud-store.js';
import { readings, readingsBatch } from '../helpers/records.js';

/** The gateway every contract case publishes as (the harness registers it). */
export const CONTRACT_GATEWAY = 'gw-contract';

/**
 * `CONTRACT_GATEWAY` connected as the edge publisher runs it: MQTT 3.1.1, persistent session, sending
 * again what was not acknowledged whenever it reconnects.
 */
export function connectContractGateway(url: string, secret: string): MqttClient {
  return mqtt.connect(url, {
    clientId: CONTRACT_GATEWAY,
    username: CONTRACT_GATEWAY,
    password: secret,
    clean: false,
    protocolVersion: 4,
    reconnectPeriod: 100,
  });
}

/** One ingest source under test, with a real broker and a real store behind it. */
export interface IngestSourceHarness {
  /** Where ingest commits; `CONTRACT_GATEWAY` is registered (with the secret the broker checks). */
  store: CloudStore;
  /** Starts a source handing its messages to `ingestor`. */
  start(ingestor: Ingestor): Promise<IngestSource>;
  /** Ends a source as a crash would: nothing it holds is acknowledged, nothing is handed back cleanly. */
  crash(source: IngestSource): Promise<void>;
  /**
   * Publishes as `CONTRACT_GATEWAY` with QoS 1, as the gateway does: without waiting for the PUBACK, and
   * sending again what was not acknowledged when it reconnects.
   */
  publish(topic: string, payload: string): void;
  /**
   * The most messages the source holds unacknowledged at once, or why it promises no count of its own
   * (printed when the bound case is skipped).
   */
  maxInFlight: number | { none: string };
  close(): Promise<void>;
}

/** The one ingest path, held at a gate before it commits anything: what the source does meanwhile shows. */
class GatedIngestor extends Ingestor {
  entered = 0;
  committed = 0;
  inFlight = 0;
  maxInFlight = 0;
  private release!: () => void;
  private readonly gate = new Promise<void>((resolve) => {
    this.release = resolve;
  });

  open(): void {
    this.release();
  }

  override async handle(msg: IncomingMessage): Promise<IngestOutcome> {
    this.entered++;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await this.gate;
      const outcome = await super.handle(msg);
      this.committed++;
      return outcome;
    } finally {
      this.inFlight--;
    }
  }
}

/** The one ingest path over a store whose first commit fails (a full disk, a lost connection). */
class FailingOnceIngestor extends Ingestor {
  failed = 0;
  override async handle(msg: IncomingMessage): Promise<IngestOutcome> {
    if (this.failed === 0) {
      this.failed++;
      throw new Error('store unavailable');
    }
    return super.handle(msg);
  }
}

/**
 * The ingest source contract (cloud/src/ingest/ingest-source.ts), run by each source's test against its
 * real broker: at-least-once delivery into the store, acknowledgement only after the commit, redelivery
 * of what was in flight when the source died, and a bounded number of messages in flight.
 */
export function ingestSourceContract(name: string, makeHarness: () => Promise<IngestSourceHarness>): void {
  describe(`ingest source contract: ${name}`, { timeout: 90_000 }, () => {
    let h: IngestSourceHarness;
    const sources: IngestSource[] = [];
    let nextSeq = 1;
    const log = pino({ level: process.env.LOG_LEVEL ?? 'silent' });
    const ingestor = () => new Ingestor({ store: h.store, clock: systemClock, log });
    const gated = () => new GatedIngestor({ store: h.store, clock: systemClock, log });
    const start = async (i: Ingestor) => {
      const s = await h.start(i);
      sources.push(s);
      return s;
    };
    /** Publishes `n` readings batches of 2 records each; returns the sequence numbers they carry. */
    const publishBatches = (n: number): number[] => {
      const seqs: number[] = [];
      for (let i = 0; i < n; i++) {
        const batch = readingsBatch(CONTRACT_GATEWAY, readings(2, { firstSeq: nextSeq }));
        seqs.push(nextSeq, nextSeq + 1);
        nextSeq += 2;
        h.publish(gatewayTopic(CONTRACT_GATEWAY, 'readings'), JSON.stringify(batch));
      }
      return seqs;
    };
    const storedSeqs = async () =>
      (await h.store.listReadings({ gatewayId: CONTRACT_GATEWAY, limit: 100_000 })).map((r) => r.seq);
    const allStored = (seqs: number[]) => async () => {
      const have = new Set(await storedSeqs());
      return seqs.every((s) => have.has(s));
    };

    beforeAll(async () => {
      h = await makeHarness();
    }, 120_000);
    afterAll(async () => {
      for (const s of sources) await s.close().catch(() => {});
      await h?.close();
    });

    it('hands every message to ingest, which stores each record once', async () => {
      const source = await start(ingestor());
      const seqs = publishBatches(5);
      await until(allStored(seqs), 'the five batches stored');
      const stored = await storedSeqs();
      expect(stored.filter((s) => seqs.includes(s)).sort((a, b) => a - b)).toEqual(seqs);
      await source.close();
    });

    it('acknowledges only after the commit: what was in flight when the source died comes again', async () => {
      const held = gated();
      const first = await start(held);
      const seqs = publishBatches(1);
      await until(() => held.entered >= 1, 'the batch in ingest');
      // Died before the commit: nothing was committed, so nothing may have been acknowledged.
      await h.crash(first);
      expect(held.committed).toBe(0);
      expect(await allStored(seqs)()).toBe(false);
      const second = await start(ingestor());
      await until(allStored(seqs), 'the batch delivered again and stored');
      expect((await storedSeqs()).filter((s) => seqs.includes(s))).toEqual(seqs); // once, not twice
      await second.close();
    });

    it('does not acknowledge a message whose commit failed: it comes again', async () => {
      const failing = new FailingOnceIngestor({ store: h.store, clock: systemClock, log });
      const source = await start(failing);
      const seqs = publishBatches(1);
      await until(allStored(seqs), 'the batch stored after the failed commit');
      expect(failing.failed).toBe(1);
      await source.close();
    });

    it('holds a bounded number of messages unacknowledged', async (ctx) => {
      const bound = h.maxInFlight;
      if (typeof bound !== 'number') {
        console.log(`${name}: no in-flight count of its own to test: ${bound.none}`);
        ctx.skip();
        return;
      }
      const held = gated();
      const source = await start(held);
      const seqs = publishBatches(bound * 2);
      // The window fills up to the bound and no further while ingest holds everything.
      await until(() => held.entered === bound, `${bound} messages in ingest`);
      held.open();
      await until(allStored(seqs), 'every batch stored once the gate opened');
      expect(held.maxInFlight).toBe(bound);
      await source.close();
    });
  });
}
