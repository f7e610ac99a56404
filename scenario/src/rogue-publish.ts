import { ColdtraceError, encodeGatewayPayload, errorMessage } from '@coldtrace/shared';
import mqtt from 'mqtt';

/** Client ids must differ between concurrent connections (the broker lets a new one take over a session). */
let connections = 0;

export type RoguePayload = 'malformed-json' | 'schema-violation' | 'foreign-gateway' | 'other-topic';

/**
 * A device that is not the gateway publishes readings with the gateway's MQTT credentials, straight to
 * the broker (docs/architecture.md "Wire contract": the broker lets a gateway publish only under its own
 * topic root; the cloud rejects a payload whose gateway id differs from the topic's; anything that fails
 * validation goes to the dead-letter table with the reason). Resolves once every message was acknowledged (QoS 1), or,
 * for `other-topic`, once the broker closed the connection (MQTT 3.1.1 has no negative acknowledgement).
 */
export async function roguePublish(o: {
  mqttUrl: string;
  gatewayId: string;
  secret: string;
  /** A gateway to impersonate (defaults to `<gatewayId>-other`). */
  otherGatewayId?: string | undefined;
  payload: RoguePayload;
  count: number;
  /** Event time for the records (scenario clock). */
  at: number;
}): Promise<void> {
  const other = o.otherGatewayId ?? `${o.gatewayId}-other`;
  const connect = () =>
    mqtt
      .connectAsync(o.mqttUrl, {
        // The broker accepts a gateway's credentials only with its id (or id/suffix) as client id.
        clientId: `${o.gatewayId}/rogue-${process.pid}-${++connections}`,
        username: o.gatewayId,
        password: o.secret,
        reconnectPeriod: 0,
        connectTimeout: 5000,
      })
      .catch((err: unknown) => {
        throw new ColdtraceError(
          'scenario_rogue_connect',
          `the broker refused ${o.gatewayId}'s credentials: ${errorMessage(err)}`,
        );
      });
  const batch = (gatewayId: string, seq: number) =>
    encodeGatewayPayload('readings', {
      gatewayId,
      firstSeq: seq,
      lastSeq: seq,
      sentAt: o.at,
      records: [
        { seq, sensorId: 'rogue-sensor', locationId: 'rogue-location', ts: o.at, tempC: 4, quality: 'ok' },
      ],
    } as never);
  const within = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
    Promise.race([
      p,
      new Promise<never>((_, reject) =>
        setTimeout(
          () => reject(new ColdtraceError('scenario_rogue_timeout', `${what}: no answer within ${ms} ms`)),
          ms,
        ).unref(),
      ),
    ]);
  if (o.payload === 'other-topic') {
    // The broker records the refusal as a dead letter and closes the connection: one connection each.
    for (let i = 1; i <= o.count; i++) {
      const client = await connect();
      const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
      client.publish(`coldtrace/v1/gw/${other}/readings`, batch(o.gatewayId, i), { qos: 0 }, () => {});
      try {
        await within(closed, 5000, `publish under ${other}'s topic root was not refused`);
      } finally {
        client.end(true);
      }
    }
    return;
  }
  const client = await connect();
  try {
    for (let i = 1; i <= o.count; i++) {
      const body =
        o.payload === 'malformed-json'
          ? `{"gatewayId":"${o.gatewayId}","firstSeq":${i},"records":[`
          : o.payload === 'schema-violation'
            ? JSON.stringify({
                gatewayId: o.gatewayId,
                firstSeq: i,
                lastSeq: i,
                sentAt: o.at,
                records: [{ seq: i, sensorId: 'rogue-sensor', ts: o.at, tempC: 'warm', quality: 'ok' }],
              })
            : batch(other, i);
      await within(
        client.publishAsync(`coldtrace/v1/gw/${o.gatewayId}/readings`, body, { qos: 1 }),
        5000,
        `rogue publish ${i} of ${o.count} (${o.payload})`,
      );
    }
  } finally {
    client.end(true);
  }
}
