import { EventEmitter } from 'node:events';
import {
  type ClockTimer,
  ColdtraceError,
  encodeGatewayPayload,
  errorMessage,
  formatZodError,
  type GatewayStatus,
  type GatewayTopicName,
  gatewayTopic,
  gatewayTopics,
  MAX_PAYLOAD_BYTES,
  STREAMS,
} from '@coldtrace/shared';
import mqtt, { type MqttClient } from 'mqtt';
import type { StreamName } from '../buffer/record-buffer.js';
import { encodeBatchJson } from './batch-json.js';
import { isLiveBatch } from './live-batch.js';
import { mqttClientOptions } from './mqtt-client-options.js';
import {
  type Publisher,
  type PublisherEvents,
  type PublisherOptions,
  pubackOverdue,
  publisherConfigSchema,
} from './publisher-config.js';

export {
  type Publisher,
  type PublisherConfig,
  type PublisherEvents,
  type PublisherOptions,
  publisherConfigSchema,
} from './publisher-config.js';

interface InFlight {
  gen: number;
  lastSeq: number;
  done: boolean;
  /** Wall-clock time it was handed to the connection (the PUBACK deadline is a network wait). */
  sentAt: number;
}
interface StreamState {
  inflight: InFlight[];
  /** Last seq handed to the broker on this connection; undefined = start at the oldest unacked. */
  sentUpTo: number | undefined;
  /** Records up to this seq go out even in a batch that is not full (urgent, aged, or replay). */
  forceUpTo: number;
  timer: ClockTimer | undefined;
}

/** Room left in MAX_PAYLOAD_BYTES for the batch envelope and JSON growth over the stored records. */
const PAGE_BYTES = Math.floor(MAX_PAYLOAD_BYTES * 0.9);

/**
 * The gateway's MQTT publisher (docs/architecture.md "Publisher"): sends each stream from the durable
 * buffer in order, in batches, with a window of in-flight QoS 1 publishes, and acks the buffer only
 * on PUBACK (MQTT 3.1.1 §4.3.2). MQTT.js's own offline queue is never used: nothing is published
 * while disconnected, and after a reconnect the oldest unacked record is sent again (the cloud
 * deduplicates on gateway, stream, seq). MQTT.js keeps only the message ids of unacked publishes
 * (`createIdOnlyStore`), so no batch payload lives past its write to the socket.
 */
export function createPublisher(options: PublisherOptions): Publisher {
  const { buffer, clock, log, onConnectionChange, ...config } = options;
  const parsed = publisherConfigSchema.safeParse(config);
  if (!parsed.success)
    throw new ColdtraceError('invalid_config', `publisher: ${formatZodError(parsed.error)}`);
  const cfg = parsed.data;
  const gatewayId = cfg.gatewayId;
  const streams = Object.fromEntries(
    STREAMS.map((s) => [
      s,
      { inflight: [], sentUpTo: undefined, forceUpTo: 0, timer: undefined } as StreamState,
    ]),
  ) as Record<StreamName, StreamState>;
  const emitter = new EventEmitter<PublisherEvents>();
  let client: MqttClient | undefined;
  let connected = false;
  let stopping = false;
  let gen = 0;
  /** The connection generation already being dropped (one drop per connection). */
  let dropping = -1;
  let lastStatus: GatewayStatus | undefined;
  /** Checks that the oldest publish in flight gets its PUBACK within `mqtt.pubackTimeoutMs`. */
  let ackWatch: ReturnType<typeof setTimeout> | undefined;

  const setConnected = (value: boolean) => {
    if (connected === value) return;
    connected = value;
    try {
      onConnectionChange?.(value);
    } catch (err) {
      log.error({ err }, 'connection listener failed');
    }
    emitter.emit(value ? 'connected' : 'disconnected');
  };

  const offlineStatus = (reason: 'last_will' | 'shutdown'): string =>
    encodeGatewayPayload('status', {
      gatewayId,
      state: 'offline',
      ts: clock.now(),
      reason,
      version: cfg.version,
    });

  const armTimer = (stream: StreamName) => {
    const st = streams[stream];
    if (st.timer !== undefined || stopping) return;
    st.timer = clock.setTimeout(() => {
      st.timer = undefined;
      st.forceUpTo = Math.max(st.forceUpTo, buffer.lastSeq(stream));
      pump(stream);
    }, cfg.batch.maxAgeMs);
  };

  /**
   * Peeks the next page as stored JSON text and encodes it without parsing it, halving the page until it
   * fits MAX_PAYLOAD_BYTES.
   */
  const nextBatch = (stream: StreamName, afterSeq: number | undefined) => {
    let limit = cfg.batch.maxRecords;
    for (;;) {
      const page = buffer.peekJson(stream, { afterSeq, limit, maxBytes: PAGE_BYTES });
      if (!page) return null;
      const now = clock.now();
      // Before encoding: encodeBatchJson consumes the page's records.
      const topic: GatewayTopicName =
        stream === 'readings' && isLiveBatch(page, now, cfg.mqtt.liveWindowMs) ? 'readings-live' : stream;
      const records = page.records.length;
      const payload = encodeBatchJson(gatewayId, buffer.epoch, now, page);
      const bytes = Buffer.byteLength(payload);
      if (bytes <= MAX_PAYLOAD_BYTES || records + page.thinned.length <= 1)
        return { page, payload, bytes, topic, records };
      limit = Math.max(1, Math.floor(page.records.length / 2));
    }
  };

  /** Sends what may go now on `stream`: full batches, and partial ones up to forceUpTo. */
  const pump = (stream: StreamName) => {
    const st = streams[stream];
    const c = client;
    if (!c || !connected || stopping) return;
    while (st.inflight.length < cfg.inflightWindow) {
      const last = buffer.lastSeq(stream);
      const forced = st.forceUpTo > (st.sentUpTo ?? 0);
      // Cheap check first: fewer than maxRecords waiting and nothing forced → wait for the age timer.
      if (!forced && st.sentUpTo !== undefined) {
        if (last <= st.sentUpTo) return;
        if (last - st.sentUpTo < cfg.batch.maxRecords) return armTimer(stream);
      }
      let next: ReturnType<typeof nextBatch>;
      try {
        next = nextBatch(stream, st.sentUpTo);
      } catch (err) {
        // Records were validated on append, so this is a bug or a damaged buffer: say so loudly,
        // keep the records, and let the age timer retry.
        log.error({ err, stream, afterSeq: st.sentUpTo }, 'cannot build batch from the buffer');
        return armTimer(stream);
      }
      if (!next) return;
      const { page, payload, bytes, topic, records } = next;
      const full = records >= cfg.batch.maxRecords || page.lastSeq < last;
      if (!full && page.firstSeq > st.forceUpTo) return armTimer(stream);
      const entry: InFlight = { gen, lastSeq: page.lastSeq, done: false, sentAt: Date.now() };
      st.inflight.push(entry);
      st.sentUpTo = page.lastSeq;
      const t = gatewayTopics[topic];
      c.publish(gatewayTopic(gatewayId, topic), payload, { qos: t.qos, retain: t.retain }, (err) =>
        onPuback(stream, entry, err),
      );
      emitter.emit('sent', { stream, topic, firstSeq: page.firstSeq, lastSeq: page.lastSeq, records, bytes });
      watchAcks();
    }
  };

  /** When the oldest publish of this connection still waiting for its PUBACK was sent. */
  const oldestUnacked = (): number | undefined => {
    let oldest: number | undefined;
    for (const s of STREAMS)
      for (const e of streams[s].inflight)
        if (!e.done && e.gen === gen && (oldest === undefined || e.sentAt < oldest)) oldest = e.sentAt;
    return oldest;
  };

  /**
   * A PUBACK that never comes on a connection that stays up (a broker that answers PINGREQ but stopped
   * acknowledging: RabbitMQ 3.10's MQTT plugin after a timed-out auth call, docs/durability.md) would hold
   * the window for ever. The oldest publish in flight gets `pubackTimeoutMs`; past it the connection is
   * dropped as a network fault would, and the stream replayed from its oldest unacknowledged record.
   * Wall clock (`setTimeout`), as stop()'s network waits: a scaled scenario clock must not shorten it.
   */
  const watchAcks = () => {
    if (ackWatch !== undefined || stopping) return;
    const oldest = oldestUnacked();
    if (oldest === undefined) return;
    const limit = cfg.mqtt.pubackTimeoutMs;
    ackWatch = setTimeout(
      () => {
        ackWatch = undefined;
        const o = oldestUnacked();
        if (o !== undefined && pubackOverdue(o, Date.now(), limit) && connected && !stopping) {
          log.warn(
            { gatewayId, waitedMs: Date.now() - o, pubackTimeoutMs: limit },
            'no PUBACK within pubackTimeoutMs on a live connection; reconnecting to send it again',
          );
          dropConnection();
          return;
        }
        watchAcks();
      },
      Math.max(0, oldest + limit - Date.now()),
    );
    ackWatch.unref?.();
  };

  const stopWatchingAcks = () => {
    if (ackWatch !== undefined) clearTimeout(ackWatch);
    ackWatch = undefined;
  };

  const onPuback = (stream: StreamName, entry: InFlight, err: Error | undefined) => {
    if (entry.gen !== gen) return; // from a connection that is gone: replayed from the buffer anyway
    if (err) {
      // The batch stays at the head of the window and would hold the stream until the next reconnect,
      // so reconnect now: the window is reset and the stream replayed from its oldest unacked record.
      log.warn(
        { err: errorMessage(err), stream, lastSeq: entry.lastSeq },
        'publish failed on a live connection; reconnecting to send it again',
      );
      if (!stopping && connected) dropConnection();
      return;
    }
    entry.done = true;
    const st = streams[stream];
    let upTo: number | undefined;
    while (st.inflight[0]?.done) upTo = st.inflight.shift()!.lastSeq;
    if (upTo !== undefined) {
      try {
        buffer.ack(stream, upTo);
        emitter.emit('acked', { stream, upToSeq: upTo });
      } catch (e) {
        log.error({ err: e, stream, upTo }, 'buffer ack failed; the records will be sent again');
      }
    }
    pump(stream);
  };

  /**
   * Ends the connection as a network fault would: onClose resets every window, MQTT.js reconnects after
   * reconnectMs (the backoff of a batch the broker keeps refusing), and onConnect replays in order.
   */
  const dropConnection = () => {
    const c = client;
    if (!c || dropping === gen) return;
    dropping = gen;
    c.stream?.destroy();
  };

  const sendStatus = (status: GatewayStatus, cb?: (err?: Error) => void) => {
    const payload = encodeGatewayPayload('status', status);
    const t = gatewayTopics.status;
    client?.publish(gatewayTopic(gatewayId, 'status'), payload, { qos: t.qos, retain: t.retain }, (err) =>
      cb?.(err),
    );
  };

  const onConnect = () => {
    // A connection that completes while the gateway stops (its buffer may be closed already) sends nothing.
    if (stopping) return;
    gen++;
    for (const s of STREAMS) {
      const st = streams[s];
      st.inflight = [];
      st.sentUpTo = undefined;
      // Replay: the whole backlog goes out, oldest first, including a partial last batch.
      st.forceUpTo = buffer.lastSeq(s);
    }
    setConnected(true);
    log.info({ gatewayId, backlog: buffer.stats() }, 'connected to broker');
    if (lastStatus) sendStatus({ ...lastStatus, state: 'online', ts: clock.now() });
    for (const s of ['alarms', 'movements', 'readings'] as const) pump(s);
  };

  const onClose = () => {
    gen++; // PUBACK callbacks of this connection no longer count
    stopWatchingAcks();
    const c = client;
    if (c) {
      // Drop MQTT.js's entries of unacked publishes: the buffer is the only queue (re-sent on connect).
      for (const id of Object.keys(c.outgoing)) c.removeOutgoingMessage(Number(id));
    }
    if (!connected) return;
    for (const s of STREAMS) streams[s].inflight = [];
    setConnected(false);
    log.warn({ gatewayId }, 'disconnected from broker');
  };

  const publisher = Object.assign(emitter, {
    start() {
      if (client) return;
      stopping = false;
      const m = cfg.mqtt;
      const opts = mqttClientOptions(m, gatewayId, offlineStatus('last_will'));
      const c = mqtt.connect(m.url, opts);
      client = c;
      c.on('connect', onConnect);
      c.on('close', onClose);
      c.on('reconnect', () => {
        // Fresh time on the Last Will of the next session.
        if (c.options.will) c.options.will.payload = Buffer.from(offlineStatus('last_will'));
      });
      c.on('error', (err) => log.warn({ err: errorMessage(err), gatewayId }, 'mqtt error'));
    },

    async stop() {
      const c = client;
      if (!c) return;
      stopping = true;
      stopWatchingAcks();
      for (const s of STREAMS) {
        clock.clearTimeout(streams[s].timer);
        streams[s].timer = undefined;
      }
      if (connected) {
        await withTimeout(
          new Promise<void>((resolve) => {
            try {
              c.publish(
                gatewayTopic(gatewayId, 'status'),
                offlineStatus('shutdown'),
                { qos: gatewayTopics.status.qos, retain: gatewayTopics.status.retain },
                () => resolve(),
              );
            } catch {
              resolve();
            }
          }),
          cfg.stopTimeoutMs,
        );
      }
      // end(false) waits for in-flight PUBACKs (which still ack the buffer), end(true) gives up.
      const ended = await withTimeout(
        new Promise<boolean>((resolve) => c.end(false, {}, () => resolve(true))),
        cfg.stopTimeoutMs,
      );
      if (!ended) await new Promise<void>((resolve) => c.end(true, {}, () => resolve()));
      gen++;
      setConnected(false);
      client = undefined;
    },

    notify(stream: StreamName, opts?: { urgent?: boolean }) {
      const st = streams[stream];
      if (!st) throw new ColdtraceError('invalid_stream', `unknown stream ${JSON.stringify(stream)}`);
      if (opts?.urgent) st.forceUpTo = Math.max(st.forceUpTo, buffer.lastSeq(stream));
      if (!connected) return; // everything goes out, oldest first, on connect
      pump(stream);
    },

    publishStatus(status: GatewayStatus) {
      encodeGatewayPayload('status', status); // throws on a contract violation, whether online or not
      lastStatus = status;
      if (connected) sendStatus(status);
    },

    inflight() {
      return Object.fromEntries(STREAMS.map((s) => [s, streams[s].inflight.length])) as Record<
        StreamName,
        number
      >;
    },
  });
  Object.defineProperty(publisher, 'connected', { get: () => connected, enumerable: true });
  return publisher as unknown as Publisher;
}

/** Network waits in stop() use the real clock: a scaled scenario clock must not shorten them. */
function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(undefined), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      () => {
        clearTimeout(t);
        resolve(undefined);
      },
    );
  });
}
