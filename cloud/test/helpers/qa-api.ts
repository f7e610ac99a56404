import { encodeGatewayPayload } from '@coldtrace/shared';
import { expect } from 'vitest';
import type { CloudConfigInput } from '../../src/config.js';
import { createUser, login, type Session, type TestUser } from './auth.js';
import { readingsBatch } from './records.js';
import { startTestCloud, type TestCloud } from './test-cloud.js';

/** An answer's body as the suites read it: whatever JSON.parse gives. */
type Json = ReturnType<typeof JSON.parse>;

/** A test cloud driven through its HTTP API by an admin, then by QA, with gateway gw-a's records ingested. */
export interface QaApi {
  cloud: TestCloud;
  admin: TestUser;
  /** A QA user whose signatures print as Quinn Assurance. */
  qa: TestUser;
  /** Calls the API in the current session. */
  call(method: string, url: string, payload?: object): Promise<{ status: number; body: Json }>;
  /** `call`, throwing unless the answer is a success; its body. */
  ok(method: string, url: string, payload?: object): Promise<Json>;
  /** Ingests records from gw-a, numbered on from the last published. */
  publish(topic: 'readings' | 'movements', records: readonly object[]): Promise<void>;
  /** The current session's headers, for a request `call` does not make (e.g. a PDF). */
  headers(): Session['headers'];
  /** Continues in a session of `user` (the admin's at the start). */
  signIn(user: TestUser): Promise<void>;
}

/**
 * The setup of the HTTP suites that take stock from ingest to QA decisions (quantity holds, rejected held
 * quantities): `start` brings up a cloud on `store` without its embedded broker, an admin and a QA user,
 * gateway gw-a. The calls may be taken apart before `start` (a suite's helpers) and used after it.
 */
export function qaApi(): QaApi & {
  start(store: Pick<CloudConfigInput, 'database'>): Promise<QaApi>;
  stop(): Promise<void>;
} {
  let started: { cloud: TestCloud; admin: TestUser; qa: TestUser } | undefined;
  let session: Session | undefined;
  let seq = 0;
  const up = () => {
    if (!started || !session) throw new Error('qaApi: call start() first (in beforeAll)');
    return { ...started, session };
  };
  const api: QaApi = {
    get cloud() {
      return up().cloud;
    },
    get admin() {
      return up().admin;
    },
    get qa() {
      return up().qa;
    },
    async call(method, url, payload) {
      const { cloud, session } = up();
      const res = await cloud.app.inject({
        method: method as 'GET',
        url,
        payload,
        headers: session.headers as never,
      });
      return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : undefined };
    },
    async ok(method, url, payload) {
      const r = await api.call(method, url, payload);
      if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body;
    },
    async publish(topic, records) {
      const numbered = records.map((r) => ({ ...r, seq: ++seq }));
      const out = await up().cloud.ingestor.handle({
        topic: `coldtrace/v1/gw/gw-a/${topic}`,
        payload: Buffer.from(encodeGatewayPayload(topic, readingsBatch('gw-a', numbered as never) as never)),
      });
      expect(out.kind).toBe('stored');
    },
    headers: () => up().session.headers,
    async signIn(user) {
      session = await login(up().cloud, user.username, user.password);
    },
  };
  return Object.assign(api, {
    async start(store: Pick<CloudConfigInput, 'database'>) {
      const cloud = await startTestCloud({ mqtt: { embedded: { enabled: false } }, ...store });
      const admin = await createUser(cloud.store, { roles: ['admin'] });
      const qa = await createUser(cloud.store, { roles: ['qa'], printedName: 'Quinn Assurance' });
      await cloud.addGateway('gw-a');
      started = { cloud, admin, qa };
      session = await login(cloud, admin.username, admin.password);
      return api;
    },
    async stop() {
      await started?.cloud.stop();
    },
  });
}
