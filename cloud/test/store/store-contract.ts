import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CloudStore } from '../../src/store/cloud-store.js';
import { T0 } from '../helpers/records.js';
import { coverageContract } from './store-contract-coverage.js';
import { epochContract } from './store-contract-epochs.js';
import { ingestContract } from './store-contract-ingest.js';
import { queryContract } from './store-contract-queries.js';
import { reuseContract } from './store-contract-reuse.js';
import { scanContract } from './store-contract-scans.js';

export interface OpenedStore {
  store: CloudStore;
  cleanup(): Promise<void>;
}

/**
 * The one contract every `CloudStore` backend must meet (docs/architecture.md "Tests"):
 * run by `sqlite-store.test.ts` and `postgres-store.svc.test.ts` against a freshly migrated store.
 * Its parts (store-contract-*.ts) register in this order, so every backend runs the same cases.
 */
export function runStoreContract(name: string, open: () => Promise<OpenedStore>): void {
  describe(`CloudStore contract: ${name}`, () => {
    let opened: OpenedStore;
    let store: CloudStore;
    let gw = 0;
    /** A new registered gateway per test, so tests share one database without interfering. */
    const newGateway = async (prefix = 'gw') => {
      gw += 1;
      const id = `${prefix}-${gw}`;
      await store.upsertGateway({ id, now: T0 });
      return id;
    };

    beforeAll(async () => {
      opened = await open();
      store = opened.store;
    });
    afterAll(async () => {
      await opened?.cleanup();
    });

    describe('gateways', () => {
      it('inserts, updates only the given fields, and lists by id', async () => {
        await store.upsertGateway({ id: 'zz-gw', name: 'Dock', secretHash: 'h1', now: T0 });
        await store.upsertGateway({ id: 'zz-gw', name: 'Dock 2', now: T0 + 5 });
        let g = await store.getGateway('zz-gw');
        expect(g).toMatchObject({
          id: 'zz-gw',
          name: 'Dock 2',
          secret_hash: 'h1',
          created_at: T0,
          online: 0,
        });
        expect(typeof g!.created_at).toBe('number');
        await store.upsertGateway({ id: 'zz-gw', secretHash: null, now: T0 + 9 });
        g = await store.getGateway('zz-gw');
        expect(g).toMatchObject({ name: 'Dock 2', secret_hash: null, created_at: T0 });
        // Nothing to update: the row stays as it is.
        await store.upsertGateway({ id: 'zz-gw', now: T0 + 10 });
        expect((await store.getGateway('zz-gw'))?.created_at).toBe(T0);
        expect(await store.getGateway('nope')).toBeUndefined();
        await store.upsertGateway({ id: 'aa-gw', now: T0 });
        const ids = (await store.listGateways()).map((x) => x.id);
        expect(ids.indexOf('aa-gw')).toBeLessThan(ids.indexOf('zz-gw'));
        expect([...ids].sort()).toEqual(ids);
      });

      it('keeps the newest status: older ones are refused, equal times replace', async () => {
        const id = await newGateway();
        expect(await store.setGatewayStatus(id, '{"n":2}', T0 + 2000, true)).toBe(true);
        expect(await store.setGatewayStatus(id, '{"n":1}', T0 + 1000, false)).toBe(false);
        let g = await store.getGateway(id);
        expect(g).toMatchObject({ status_json: '{"n":2}', status_at: T0 + 2000, online: 1 });
        expect(await store.setGatewayStatus(id, '{"n":3}', T0 + 2000, false)).toBe(true);
        g = await store.getGateway(id);
        expect(g).toMatchObject({ status_json: '{"n":3}', online: 0 });
        expect(await store.setGatewayStatus('unknown-gw', '{}', T0, true)).toBe(false);
      });
    });

    ingestContract(() => store, newGateway);
    coverageContract(() => store, newGateway);
    epochContract(() => store, newGateway);
    reuseContract(() => store, newGateway);
    scanContract(() => store, newGateway);
    queryContract(() => store, newGateway);
  });
}
