import { EventEmitter } from 'node:events';
import { until } from '@coldtrace/shared/testing';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type AmqpChannel,
  type AmqpConnection,
  type AmqpMessage,
  startAmqpSource,
} from '../../src/ingest/amqp-source.js';
import type { Ingestor } from '../../src/ingest/ingestor.js';

// A scripted AMQP connection (the broker is not what is tested here; amqp-source.svc.test.ts runs the source
// on a real RabbitMQ node): its channels refuse an acknowledgement once the connection began to close, as
// amqplib does ("Channel closing"), before the close event arrives.
class ScriptedChannel extends EventEmitter implements AmqpChannel {
  onMessage: ((msg: AmqpMessage | null) => void) | undefined;
  acks = 0;
  refusedAcks = 0;
  constructor(private readonly conn: ScriptedConnection) {
    super();
  }
  async assertExchange() {}
  async bindExchange() {}
  async assertQueue(queue: string) {
    this.conn.queues.add(queue);
  }
  async bindQueue() {}
  async unbindQueue() {}
  async prefetch() {}
  async consume(_q: string, onMessage: (msg: AmqpMessage | null) => void) {
    this.onMessage = onMessage;
    return { consumerTag: 'ctag' };
  }
  async cancel() {}
  async close() {}
  ack(): void {
    if (this.conn.closing) {
      this.refusedAcks++;
      throw new Error('Channel closing');
    }
    this.acks++;
  }
  async checkQueue(queue: string) {
    if (!this.conn.queues.has(queue)) throw new Error(`NOT_FOUND - no queue '${queue}'`);
    return { messageCount: 0, consumerCount: 1 };
  }
}

class ScriptedConnection extends EventEmitter implements AmqpConnection {
  closing = false;
  readonly queues = new Set<string>();
  readonly channels: ScriptedChannel[] = [];
  async createChannel(): Promise<AmqpChannel> {
    const ch = new ScriptedChannel(this);
    this.channels.push(ch);
    return ch;
  }
  close(): Promise<void> {
    this.closing = true;
    // The broker's close-ok never comes (the source gives up after its timeout).
    return new Promise(() => {});
  }
}

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
afterEach(() => {
  process.off('unhandledRejection', onUnhandled);
});

describe('AMQP source stopping while a delivery is in ingest', () => {
  it('does not throw when the acknowledgement comes after the stop began: the broker redelivers it', async () => {
    process.on('unhandledRejection', onUnhandled);
    const conn = new ScriptedConnection();
    let finish: (() => void) | undefined;
    const ingestor = {
      handle: () =>
        new Promise<void>((resolve) => {
          finish = resolve;
        }),
    } as unknown as Ingestor;
    const source = await startAmqpSource({
      url: 'amqp://u:p@127.0.0.1:1/',
      prefetch: 4,
      queuePrefix: 'coldtrace',
      partitions: 2,
      ingestor,
      log: pino({ level: 'silent' }),
      connect: async () => conn,
    });
    const ch = conn.channels.find((c) => c.onMessage !== undefined)!;
    expect(ch).toBeDefined();
    ch.onMessage!({
      content: Buffer.from('{}'),
      fields: { deliveryTag: 1, redelivered: false, routingKey: 'coldtrace.v1.gw.g1.readings' },
    });
    await until(() => finish !== undefined, 'the delivery in ingest');
    const closed = source.close();
    expect(conn.closing).toBe(true);
    finish!();
    await until(() => ch.refusedAcks === 1, 'the acknowledgement refused by the closing channel');
    await closed;
    // Let a rejection from the acknowledgement surface, were there one.
    await new Promise((r) => setImmediate(r));
    expect(ch.acks).toBe(0);
    expect(unhandled).toEqual([]);
  });
});
