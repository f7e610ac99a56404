import { describe, expect, it } from 'vitest';
import { resourceAllowed, topicAllowed } from '../../src/broker/rabbitmq-permissions.js';

describe('RabbitMQ permissions', () => {
  it('never lets one gateway write a key that decodes to another', () => {
    const gw = { kind: 'gateway' as const, name: 'wh' };
    const write = (routingKey: string) =>
      topicAllowed(gw, { exchange: 'amq.topic', routingKey, permission: 'write' });
    expect(write('coldtrace.v1.gw.wh.readings')).toBe(true);
    // `wh.1`'s readings: the MQTT topic coldtrace/v1/gw/wh/1/readings is under wh's root, not its key.
    expect(write('coldtrace.v1.gw.wh.1.readings')).toBe(false);
    expect(write('coldtrace.v1.gw.wh.#')).toBe(false);
  });

  it('lets a gateway write its own live readings key only, and the ingestor consume the live partitions', () => {
    const gw = { kind: 'gateway' as const, name: 'wh' };
    const write = (routingKey: string) =>
      topicAllowed(gw, { exchange: 'amq.topic', routingKey, permission: 'write' });
    expect(write('coldtrace.v1.gw.wh.readings-live')).toBe(true);
    expect(write('coldtrace.v1.gw.wh.1.readings-live')).toBe(false);
    expect(write('coldtrace.v1.gw.other.readings-live')).toBe(false);
    expect(
      topicAllowed(gw, {
        exchange: 'amq.topic',
        routingKey: 'coldtrace.v1.gw.wh.readings-live',
        permission: 'read',
      }),
    ).toBe(false);
    const ingestor = { kind: 'ingestor' as const, name: 'cloud' };
    expect(
      topicAllowed(ingestor, {
        exchange: 'amq.topic',
        routingKey: 'coldtrace.v1.gw.#.readings-live',
        permission: 'read',
      }),
    ).toBe(true);
    for (const permission of ['configure', 'read'] as const)
      for (const name of ['coldtrace.readings-live.0', 'coldtrace.readings-live'])
        expect(resourceAllowed(ingestor, undefined, { kind: 'queue', name, permission }, 'coldtrace')).toBe(
          true,
        );
    expect(
      resourceAllowed(
        ingestor,
        undefined,
        { kind: 'exchange', name: 'coldtrace.readings-live.by-gateway', permission: 'configure' },
        'coldtrace',
      ),
    ).toBe(true);
    for (const [kind, name] of [
      ['queue', 'coldtrace.readings-live.0'],
      ['queue', 'coldtrace.readings-live'],
      ['exchange', 'coldtrace.readings-live.by-gateway'],
    ] as const)
      expect(resourceAllowed(gw, 'wh', { kind, name, permission: 'read' }, 'coldtrace')).toBe(false);
  });
});
