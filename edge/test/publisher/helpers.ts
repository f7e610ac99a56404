import net, { type AddressInfo, type Socket } from 'node:net';
import { decodeGatewayPayload, type GatewayTopicName, parseTopic, TOPIC_STREAM } from '@coldtrace/shared';
import { Aedes, type AuthorizePublishHandler } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';

export interface TestBroker {
  port: number;
  broker: Aedes;
  sockets: Set<Socket>;
  /** CONNECTs this broker refused (CONNACK "not authorized"). */
  refused: { count: number };
  close(): Promise<void>;
}

/**
 * A real in-process aedes broker on an ephemeral (or given) loopback port. With `holdUntilSubscribed`
 * it refuses every client but a test subscriber (client id `sub-…`, see `startSubscriber`) until that
 * subscriber has subscribed: a gateway already reconnecting to the port cannot publish into a broker
 * with nobody listening yet (aedes acknowledges and drops such messages, so the test would miss them).
 */
export async function startBroker(
  opts: {
    port?: number;
    authorizePublish?: AuthorizePublishHandler;
    holdUntilSubscribed?: boolean;
    /** Refuses the first N CONNECTs of clients other than the test subscriber (CONNACK "not authorized"). */
    refuseFirst?: number;
  } = {},
) {
  let subscribed = !opts.holdUntilSubscribed;
  let toRefuse = opts.refuseFirst ?? 0;
  const refused = { count: 0 };
  const broker = await Aedes.createBroker({
    ...(opts.authorizePublish ? { authorizePublish: opts.authorizePublish } : {}),
    authenticate: (client, _username, _password, done) => {
      const isSub = client.id.startsWith('sub-');
      const ok = isSub || (subscribed && toRefuse <= 0);
      if (!isSub && toRefuse > 0) toRefuse--;
      if (!ok) refused.count++;
      done(null, ok);
    },
  });
  broker.on('subscribe', (_subs, client) => {
    if (client?.id.startsWith('sub-')) subscribed = true;
  });
  const server = net.createServer(broker.handle);
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const close = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await new Promise<void>((resolve) => broker.close(() => resolve()));
  };
  return { port, broker, sockets, close, refused } satisfies TestBroker;
}

export interface Received {
  topic: string;
  name: GatewayTopicName;
  retain: boolean;
  // biome-ignore lint/suspicious/noExplicitAny: decoded per topic by the shared contract
  value: any;
}

/** A subscriber that decodes every message under the gateway topics with the shared contract. */
export async function startSubscriber(port: number) {
  const client: MqttClient = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
    clientId: `sub-${Math.random().toString(16).slice(2)}`,
    reconnectPeriod: 0,
  });
  const received: Received[] = [];
  const invalid: string[] = [];
  client.on('message', (topic, payload, packet) => {
    const t = parseTopic(topic);
    if (t?.kind !== 'gateway') return void invalid.push(`not a gateway topic: ${topic}`);
    const d = decodeGatewayPayload(t.name, t.gatewayId, payload);
    if (!d.ok) return void invalid.push(`${topic}: ${d.reason}`);
    received.push({ topic, name: t.name, retain: packet.retain, value: d.value });
  });
  await client.subscribeAsync('coldtrace/v1/gw/+/+', { qos: 1 });
  return {
    client,
    received,
    invalid,
    /** The batches of stream `name`, on any of its topics (`readings` and `readings-live`), in arrival order. */
    of: (name: GatewayTopicName) => received.filter((r) => TOPIC_STREAM[r.name] === name),
    close: () => client.endAsync(true),
  };
}

/** Distinct seqs in first-arrival order over all batches of a stream. */
export function firstArrivals(batches: Received[]): number[] {
  const seen = new Set<number>();
  const out: number[] = [];
  for (const b of batches) {
    for (const r of b.value.records as { seq: number }[]) {
      if (!seen.has(r.seq)) {
        seen.add(r.seq);
        out.push(r.seq);
      }
    }
  }
  return out;
}
