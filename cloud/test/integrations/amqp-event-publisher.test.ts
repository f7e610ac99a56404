import { EventEmitter } from 'node:events';
import { Backoff, eventTopic } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { AmqpConfirmChannel, AmqpConfirmConnection } from '../../src/ingest/amqp-confirm-channel.js';
import { type AmqpEventPublisher, amqpEventPublisher } from '../../src/integrations/amqp-event-publisher.js';

// The confirm semantics the outbox relies on, against a scripted connection: the broker's answers (ack,
// nack, none, a closed connection) are chosen by the test. mqtt-events-rabbitmq.svc.test.ts runs the
// publisher against a real RabbitMQ node.

interface Sent {
  exchange: string;
  key: string;
  body: string;
  persistent: boolean;
  confirm: (err: unknown) => void;
}

class ScriptedChannel extends EventEmitter implements AmqpConfirmChannel {
  readonly sent: Sent[] = [];
  publish(
    exchange: string,
    key: string,
    content: Buffer,
    options: { persistent: boolean },
    confirm: (err: unknown) => void,
  ): boolean {
    this.sent.push({ exchange, key, body: content.toString(), persistent: options.persistent, confirm });
    return true;
  }
}

class ScriptedConnection extends EventEmitter implements AmqpConfirmConnection {
  readonly channel = new ScriptedChannel();
  closed = false;
  async createConfirmChannel(): Promise<AmqpConfirmChannel> {
    return this.channel;
  }
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.emit('close');
  }
}

describe('AMQP event publisher', () => {
  let publisher: AmqpEventPublisher | undefined;
  afterEach(() => publisher?.close());

  const start = (confirmTimeoutMs = 10_000) => {
    const connections: ScriptedConnection[] = [];
    const urls: string[] = [];
    publisher = amqpEventPublisher({
      url: 'amqp://coldtrace-ingestor:secret@rabbit:5672/',
      connect: async (url) => {
        urls.push(url);
        const c = new ScriptedConnection();
        connections.push(c);
        return c;
      },
      log: pino({ level: 'silent' }),
      confirmTimeoutMs,
      backoff: new Backoff({ initialMs: 10, maxMs: 10 }),
    });
    publisher.start();
    return { p: publisher, connections, urls };
  };
  const settled = (promise: Promise<void>) => {
    const state = { done: false, err: undefined as unknown };
    promise.then(
      () => {
        state.done = true;
      },
      (err) => {
        state.done = true;
        state.err = err;
      },
    );
    return state;
  };

  it('publishes persistent on amq.topic under the key the MQTT plugin delivers as the topic, resolving on the ack', async () => {
    const { p, connections, urls } = start();
    await until(() => p.connected(), 'connected');
    expect(urls[0]).toContain('heartbeat=5');
    const ch = connections[0]!.channel;
    const out = settled(p.publish(eventTopic('lock'), '{"type":"lock"}'));
    const sent = await until(() => ch.sent[0], 'the publish on the channel');
    expect(sent).toMatchObject({
      exchange: 'amq.topic',
      key: 'coldtrace.v1.events.lock',
      body: '{"type":"lock"}',
      persistent: true,
    });
    // Not before the broker's confirm.
    await new Promise((r) => setImmediate(r));
    expect(out.done).toBe(false);
    sent.confirm(null);
    await until(() => out.done, 'the publish settled');
    expect(out.err).toBeUndefined();
  });

  it('rejects on a nack, on no confirm in time and on a lost connection, then reconnects', async () => {
    const { p, connections } = start(200);
    await until(() => p.connected(), 'connected');
    const ch = connections[0]!.channel;

    const nacked = settled(p.publish(eventTopic('lock'), '{}'));
    (await until(() => ch.sent[0], 'first publish')).confirm(new Error('message nacked'));
    await until(() => nacked.done, 'the nack');
    expect(String(nacked.err)).toMatch(/did not take coldtrace\/v1\/events\/lock: message nacked/);

    const unanswered = settled(p.publish(eventTopic('unlock'), '{}'));
    await until(() => unanswered.done, 'the confirm timeout');
    expect(String(unanswered.err)).toMatch(/no confirm from RabbitMQ rabbit:5672 within 200 ms/);

    const inFlight = settled(p.publish(eventTopic('disposition'), '{}'));
    await until(() => ch.sent.length === 3, 'third publish');
    connections[0]!.emit('close', new Error('socket closed'));
    // Nothing is kept to send later: a publish while disconnected fails at once.
    const whileDown = p.publish(eventTopic('lock'), '{}');
    await expect(whileDown).rejects.toThrow(/RabbitMQ rabbit:5672 is not connected: socket closed/);
    await until(() => inFlight.done, 'the lost connection');
    expect(String(inFlight.err)).toMatch(/connection to RabbitMQ rabbit:5672 was lost/);
    expect(ch.sent).toHaveLength(3);

    await until(() => p.connected() && connections.length === 2, 'reconnected');
    const again = settled(p.publish(eventTopic('lock'), '{}'));
    (await until(() => connections[1]!.channel.sent[0], 'publish after reconnect')).confirm(null);
    await until(() => again.done, 'delivered after reconnect');
    expect(again.err).toBeUndefined();
  });

  it('refuses a topic the plugin would deliver as another topic, without publishing it', async () => {
    const { p, connections } = start();
    await until(() => p.connected(), 'connected');
    await expect(p.publish('coldtrace/v1/events/a.b', '{}')).rejects.toThrow(/cannot cross/);
    expect(connections[0]!.channel.sent).toEqual([]);
  });
});
