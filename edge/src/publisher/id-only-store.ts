import { Readable } from 'node:stream';
import type { IStore, Packet } from 'mqtt';

/**
 * MQTT.js's outgoing store for the publisher: it remembers the message id of each unacknowledged
 * publish (MQTT.js matches a PUBACK against it, MQTT 3.1.1 §4.3.2) but never its payload, and offers
 * nothing to re-send after a reconnect: the durable buffer is the only queue (docs/durability.md), and
 * the publisher replays from its oldest unacknowledged record. So a batch's payload is garbage once it
 * is written to the socket instead of living until its PUBACK: with MQTT.js's default store every
 * in-flight batch survived the young-generation GCs and was promoted, and the old generation filled
 * with dead batches (docs/durability.md "Round 3").
 */
export function createIdOnlyStore(): IStore {
  const ids = new Map<number, Packet>();
  const store: IStore = {
    put(packet, cb) {
      if (packet.messageId !== undefined)
        ids.set(packet.messageId, { cmd: packet.cmd, messageId: packet.messageId } as Packet);
      cb?.();
      return store;
    },
    createStream() {
      return Readable.from([]) as unknown as ReturnType<IStore['createStream']>;
    },
    del(packet, cb) {
      const known = packet.messageId !== undefined ? ids.get(packet.messageId) : undefined;
      if (known) ids.delete(known.messageId!);
      cb(known ? undefined : new Error('missing packet'), known);
      return store;
    },
    get(packet, cb) {
      const known = packet.messageId !== undefined ? ids.get(packet.messageId) : undefined;
      cb(known ? undefined : new Error('missing packet'), known);
      return store;
    },
    close(cb) {
      ids.clear();
      cb?.();
    },
  };
  return store;
}
