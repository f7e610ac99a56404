import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runAuditCli } from '../../src/cli/audit-cli.js';
import { type Harness, location, openHarness, T0 } from './harness.js';

describe('coldtrace audit verify', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    vi.restoreAllMocks();
    await h?.close();
  });

  it('reports an intact trail with exit 0 and the first broken entry with exit 1', async () => {
    h = await openHarness();
    await location(h, 'room-a');
    for (let i = 0; i < 4; i++) {
      await h.domain.upsertProduct(
        { gtin: `8061414112345${i}`, name: `p${i}`, min_c: 2, max_c: 8, stability_budget_ms: 0 },
        'admin',
        T0,
      );
    }
    const url = `sqlite:${join(h.dir, 'cloud.db')}`;
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => {
      out.push(String(s));
      return true;
    });
    expect(await runAuditCli(['verify', '--database', url])).toBe(0);
    expect(out.join('')).toMatch(/intact: 5 entries/); // the location and the four products
    await sql`UPDATE audit_log SET actor = 'mallory' WHERE seq = 2`.execute(h.engine.db);
    expect(await runAuditCli(['verify', '--database', url])).toBe(1);
    expect(out.join('')).toMatch(/BROKEN at entry 2 \(changed\)/);
  });
});
