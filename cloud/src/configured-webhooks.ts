import type { CloudConfig } from './config.js';
import type { DomainStore } from './store/domain-store.js';

/**
 * Seeds the webhook endpoints of `integrations.webhooks` (docs/domain.md "Integrations"): an endpoint
 * missing or different in the table is upserted (audited as actor `config`); an unchanged one is left
 * alone, so a restart adds no audit entry. Endpoints not in the config (managed through the API) stay.
 */
export async function seedConfiguredWebhooks(
  ds: DomainStore,
  webhooks: CloudConfig['integrations']['webhooks'],
  now: number,
): Promise<number> {
  const stored = new Map((await ds.listWebhooks()).map((w) => [w.id, w]));
  let changed = 0;
  for (const w of webhooks) {
    const row = {
      id: w.id,
      url: w.url,
      secret: w.secret,
      events: w.events === '*' ? '*' : w.events.join(','),
      enabled: 1,
    };
    const s = stored.get(w.id);
    if (s && s.url === row.url && s.secret === row.secret && s.events === row.events && s.enabled === 1)
      continue;
    await ds.upsertWebhook(row, 'config', now);
    changed += 1;
  }
  return changed;
}
