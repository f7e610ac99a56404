import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cloudConfigSchema } from '../../src/config.js';
import { seedConfiguredWebhooks } from '../../src/configured-webhooks.js';
import { DomainStore } from '../../src/store/domain-store.js';
import { enqueueEvents } from '../../src/store/outbox.js';
import { bearer } from '../helpers/auth.js';
import { startTestCloud, type TestCloud } from '../helpers/test-cloud.js';

const SECRET = 'whsec-config-0123456789';

describe('config: integrations.webhooks (docs/domain.md "Integrations")', () => {
  it('validates the endpoints: http(s) URL, secret ≥ 16 characters, known events, unique ids', () => {
    const ok = cloudConfigSchema.parse({
      integrations: { webhooks: [{ id: 'erp', url: 'https://erp.example/hook', secret: SECRET }] },
    });
    expect(ok.integrations.webhooks[0]).toMatchObject({ id: 'erp', events: '*' });
    expect(cloudConfigSchema.parse({}).integrations).toEqual({ webhooks: [] });
    const bad = (w: object) => cloudConfigSchema.safeParse({ integrations: { webhooks: [w] } }).success;
    expect(bad({ id: 'erp', url: 'ftp://erp.example', secret: SECRET })).toBe(false);
    expect(bad({ id: 'erp', url: 'https://erp.example', secret: 'short' })).toBe(false);
    expect(bad({ id: 'erp', url: 'https://erp.example', secret: SECRET, events: ['shipped'] })).toBe(false);
    expect(bad({ id: 'erp', url: 'https://erp.example', secret: SECRET, extra: 1 })).toBe(false);
    const dup = cloudConfigSchema.safeParse({
      integrations: {
        webhooks: [
          { id: 'erp', url: 'https://a.example', secret: SECRET },
          { id: 'erp', url: 'https://b.example', secret: SECRET },
        ],
      },
    });
    expect(dup.success).toBe(false);
    expect(dup.error?.message).toMatch(/unique/);
  });

  describe('seeded into the webhook endpoints at startup', () => {
    let cloud: TestCloud;
    beforeAll(async () => {
      cloud = await startTestCloud({
        integrations: {
          webhooks: [
            { id: 'erp', url: 'http://127.0.0.1:9/erp', secret: SECRET, events: ['lock', 'unlock'] },
            { id: 'wms', url: 'http://127.0.0.1:9/wms', secret: SECRET },
          ],
        },
      });
    });
    afterAll(async () => cloud?.stop());

    it('lists them through the API, audits them as actor "config", and routes events to them', async () => {
      const res = await cloud.app.inject({
        url: '/api/v1/webhooks',
        headers: await bearer(cloud, ['admin']),
      });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual([
        { id: 'erp', url: 'http://127.0.0.1:9/erp', events: ['lock', 'unlock'], enabled: true },
        { id: 'wms', url: 'http://127.0.0.1:9/wms', events: '*', enabled: true },
      ]);
      const ds = new DomainStore(cloud.store);
      const audit = await ds.listAudit({ entityType: 'webhook' });
      expect(audit.map((a) => [a.actor, a.action, a.entity_id])).toEqual([
        ['config', 'webhook.created', 'erp'],
        ['config', 'webhook.created', 'wms'],
      ]);
      expect(audit.every((a) => !a.after_json?.includes(SECRET))).toBe(true);

      // The outbox picks the seeded endpoints up like API-made ones (erp wants no dispositions).
      await ds.db.transaction().execute((trx) =>
        enqueueEvents(
          trx,
          [
            {
              type: 'disposition',
              dispositionId: 'd1',
              excursionId: 'x',
              decision: 'release',
              lotId: 'L',
              epc: null,
              units: [],
              signedBy: 'A',
              meaning: 'm',
              reason: 'r',
              at: 1,
            } as never,
          ],
          1,
        ),
      );
      const targets = (await ds.db.selectFrom('outbox').select('target').execute())
        .map((r) => r.target)
        .sort();
      expect(targets).toEqual(['mqtt', 'webhook:wms']);
    });

    it('a restart with the same config changes nothing; a changed endpoint is updated', async () => {
      const ds = new DomainStore(cloud.store);
      const webhooks = cloud.config.integrations.webhooks;
      expect(await seedConfiguredWebhooks(ds, webhooks, Date.now())).toBe(0);
      expect(await ds.listAudit({ entityType: 'webhook' })).toHaveLength(2);
      const moved = webhooks.map((w) => (w.id === 'wms' ? { ...w, url: 'http://127.0.0.1:9/wms2' } : w));
      expect(await seedConfiguredWebhooks(ds, moved, Date.now())).toBe(1);
      expect((await ds.listWebhooks()).find((w) => w.id === 'wms')?.url).toBe('http://127.0.0.1:9/wms2');
      const audit = await ds.listAudit({ entityType: 'webhook' });
      expect(audit.map((a) => a.action)).toEqual(['webhook.created', 'webhook.created', 'webhook.updated']);
    });
  });
});
