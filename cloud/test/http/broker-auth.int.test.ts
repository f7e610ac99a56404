import { freePort } from '@coldtrace/shared/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { securityActions as securityEntries } from '../helpers/security-actions.js';
import { startTestCloud, type TestCloud } from '../helpers/test-cloud.js';

// POST /broker/auth/* as rabbitmq_auth_backend_http asks them (form fields as RabbitMQ 3.10 sends them).
// cloud/test/ingest/rabbitmq-gateway.svc.test.ts runs the same answers through a real RabbitMQ node.

const INGESTOR = { username: 'coldtrace-ingestor', password: 'ingestor-secret-0123456789' };
const ERP_SECRET = 'erp-secret-0123456789';

describe('RabbitMQ HTTP auth backend', () => {
  let cloud: TestCloud;
  let secret: string;

  beforeAll(async () => {
    const closedPort = await freePort();
    cloud = await startTestCloud({
      mqtt: {
        embedded: { enabled: false },
        serviceAccounts: { erp: ERP_SECRET },
        // Nothing listens there: the cloud's AMQP source keeps retrying, which /readyz shows.
        rabbitmq: { amqpUrl: `amqp://${INGESTOR.username}:${INGESTOR.password}@127.0.0.1:${closedPort}/` },
      },
    });
    secret = await cloud.addGateway('gw-1');
  });
  afterAll(() => cloud?.stop());

  const ask = async (path: string, fields: Record<string, string>, remoteAddress = '127.0.0.1') => {
    const res = await cloud.app.inject({
      method: 'POST',
      url: `/broker/auth/${path}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams(fields).toString(),
      remoteAddress,
    });
    return res.statusCode === 200 ? res.body : `${res.statusCode} ${res.json().error}`;
  };
  const user = (username: string, password: string, clientId?: string) =>
    ask('user', {
      username,
      password,
      vhost: '/',
      ...(clientId === undefined ? {} : { client_id: clientId }),
    });
  const resource = (
    username: string,
    resource: string,
    name: string,
    permission: string,
    clientId?: string,
  ) =>
    ask('resource', {
      username,
      vhost: '/',
      resource,
      name,
      permission,
      tags: '',
      ...(clientId === undefined ? {} : { client_id: clientId }),
    });
  const topic = (username: string, permission: string, routingKey: string, exchange = 'amq.topic') =>
    ask('topic', {
      username,
      vhost: '/',
      resource: 'topic',
      name: exchange,
      permission,
      tags: '',
      routing_key: routingKey,
      'variable_map.client_id': username,
      'variable_map.username': username,
      'variable_map.vhost': '/',
    });
  const securityActions = (subject: string) => securityEntries(cloud.store, subject);

  it('logs gateways in with their issued secret and client id, and refuses the rest as security events', async () => {
    expect(await user('gw-1', secret, 'gw-1')).toBe('allow');
    expect(await user('gw-1', secret, 'gw-1/probe')).toBe('allow');
    expect(await securityActions('gw-1')).toEqual([]);
    expect(await user('gw-1', 'wrong-secret', 'gw-1')).toBe('deny');
    expect(await user('gw-1', secret, 'gw-2')).toBe('deny'); // client id bound to the account
    expect(await user('gw-1', secret)).toBe('deny'); // over AMQP: no client id
    expect(await user('gw-unknown', 'whatever', 'gw-unknown')).toBe('deny');
    expect(await securityActions('gw-1')).toEqual([
      'security.mqtt_login_refused',
      'security.permission_denied', // the login without a client id
    ]);
    expect(await securityActions('gw-2')).toEqual(['security.mqtt_client_id_refused']);
  });

  it('logs in the ingestor over AMQP and service accounts with their client id prefix', async () => {
    expect(await user(INGESTOR.username, INGESTOR.password)).toBe('allow');
    expect(await user(INGESTOR.username, 'not-it')).toBe('deny');
    expect(await user('erp', ERP_SECRET, 'erp@wms-1')).toBe('allow');
    expect(await user('erp', ERP_SECRET, 'gw-1')).toBe('deny');
  });

  it('lets a gateway write only its own streams', async () => {
    const denied = async () =>
      (await securityActions('gw-1')).filter((a) => a === 'security.permission_denied');
    const before = (await denied()).length;
    expect(await topic('gw-1', 'write', 'coldtrace.v1.gw.gw-1.readings')).toBe('allow');
    expect(await topic('gw-1', 'write', 'coldtrace.v1.gw.gw-1.status')).toBe('allow');
    expect(await denied()).toHaveLength(before);
    expect(await topic('gw-1', 'write', 'coldtrace.v1.gw.gw-2.readings')).toBe('deny');
    expect(await topic('gw-1', 'write', 'coldtrace.v1.gw.gw-1.other')).toBe('deny');
    expect(await topic('gw-1', 'write', 'coldtrace.v1.gw.gw-1.x.readings')).toBe('deny'); // another gateway's
    expect(await topic('gw-1', 'write', 'coldtrace.v1.events.lock')).toBe('deny');
    expect(await topic('gw-1', 'read', 'coldtrace.v1.gw.gw-1.cmd.#')).toBe('deny');
    expect(await topic('gw-1', 'write', 'coldtrace.v1.gw.gw-1.readings', 'amq.direct')).toBe('deny');
    expect(await resource('gw-1', 'exchange', 'amq.topic', 'write', 'gw-1')).toBe('allow');
    expect(await resource('gw-1', 'queue', 'coldtrace.readings', 'read', 'gw-1')).toBe('deny');
    expect(await resource('gw-1', 'queue', 'coldtrace.readings.0', 'read', 'gw-1')).toBe('deny');
    expect(await resource('gw-1', 'queue', 'mqtt-subscription-gw-1qos1', 'configure', 'gw-1')).toBe('deny');
    // Each refusal is a security event of the gateway (subject: its client id).
    expect(await denied()).toHaveLength(before + 9);
  });

  it('lets the ingestor declare and consume only the ingest queues and publish only events, and services only read', async () => {
    for (const p of ['configure', 'write', 'read']) {
      // The partitions, the exchange that hashes gateways into them, and the queue of the layout before.
      expect(await resource(INGESTOR.username, 'queue', 'coldtrace.readings.3', p)).toBe('allow');
      expect(await resource(INGESTOR.username, 'exchange', 'coldtrace.readings.by-gateway', p)).toBe('allow');
      expect(await resource(INGESTOR.username, 'queue', 'coldtrace.readings', p)).toBe('allow');
    }
    expect(await resource(INGESTOR.username, 'queue', 'other.readings', 'read')).toBe('deny');
    expect(await resource(INGESTOR.username, 'queue', 'other.readings.0', 'read')).toBe('deny');
    expect(await resource(INGESTOR.username, 'exchange', 'other.readings.by-gateway', 'write')).toBe('deny');
    expect(await resource('gw-1', 'exchange', 'coldtrace.readings.by-gateway', 'write', 'gw-1')).toBe('deny');
    expect(await resource(INGESTOR.username, 'exchange', 'amq.topic', 'read')).toBe('allow');
    // The integration events (integrations/amqp-event-publisher.ts): the exchange, and only events' keys.
    expect(await resource(INGESTOR.username, 'exchange', 'amq.topic', 'write')).toBe('allow');
    expect(await resource(INGESTOR.username, 'exchange', 'amq.direct', 'write')).toBe('deny');
    expect(await topic(INGESTOR.username, 'write', 'coldtrace.v1.events.lock')).toBe('allow');
    expect(await topic(INGESTOR.username, 'write', 'coldtrace.v1.events.security_alert')).toBe('allow');
    expect(await topic(INGESTOR.username, 'write', 'coldtrace.v1.events.lock', 'amq.direct')).toBe('deny');
    expect(await topic(INGESTOR.username, 'write', 'coldtrace.v1.events.a.b')).toBe('deny');
    expect(await topic(INGESTOR.username, 'write', 'coldtrace.v1.events.#')).toBe('deny');
    expect(await topic(INGESTOR.username, 'write', 'coldtrace.v1.gw.gw-1.readings')).toBe('deny');
    expect(await topic(INGESTOR.username, 'read', 'coldtrace.v1.events.#')).toBe('deny');
    expect(await topic(INGESTOR.username, 'read', 'coldtrace.v1.gw.#.readings')).toBe('allow');
    expect(await topic(INGESTOR.username, 'read', 'coldtrace.v1.#')).toBe('deny');
    expect(await resource('erp', 'queue', 'mqtt-subscription-erp@wms-1qos1', 'configure', 'erp@wms-1')).toBe(
      'allow',
    );
    expect(await resource('erp', 'queue', 'mqtt-subscription-gw-1qos1', 'read', 'erp@wms-1')).toBe('deny');
    // An ERP subscribing to coldtrace/v1/events/# through the MQTT plugin binds this key; a gateway may not.
    expect(await topic('erp', 'read', 'coldtrace.v1.events.#')).toBe('allow');
    expect(await topic('erp', 'write', 'coldtrace.v1.events.lock')).toBe('deny');
    expect(await topic('gw-1', 'read', 'coldtrace.v1.events.#')).toBe('deny');
    expect(await resource('gw-1', 'exchange', 'amq.topic', 'read', 'gw-1')).toBe('deny');
    expect(await ask('vhost', { username: 'erp', vhost: '/', ip: '127.0.0.1' })).toBe('allow');
    expect(await ask('vhost', { username: 'erp', vhost: 'other', ip: '127.0.0.1' })).toBe('deny');
  });

  it('is not ready while nothing consumes the RabbitMQ queues', async () => {
    const res = await cloud.app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(res.json().checks.rabbitmq_ingest).toMatchObject({
      ok: false,
      detail: expect.stringContaining('not consuming the RabbitMQ queues'),
    });
  });

  it('answers only the broker’s address, and bad questions with a clear error', async () => {
    expect(await user('gw-1', secret, 'gw-1')).toBe('allow');
    expect(await user('gw-1', secret, 'gw-1')).toBe('allow');
    expect(await ask('user', { username: 'gw-1', password: secret, client_id: 'gw-1' }, '10.1.2.3')).toBe(
      '403 forbidden',
    );
    expect(await ask('user', { username: 'gw-1' })).toBe('400 invalid');
    expect(
      await ask('resource', {
        username: 'gw-1',
        vhost: '/',
        resource: 'queue',
        name: 'q',
        permission: 'all',
      }),
    ).toBe('400 invalid');
  });
});
