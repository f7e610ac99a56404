import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempFiles } from '@coldtrace/shared/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { cloudConfigSchema, DEFAULT_RETENTION_INTERVAL_MS, loadCloudConfig } from '../src/config.js';

/** `retention` in the cloud config (docs/operations.md "Retention of raw readings"). */
const { dir, remove } = tempFiles('config-retention-');
afterAll(remove);

const load = (retention: string) => {
  const file = join(dir, 'cloud.yaml');
  writeFileSync(file, `retention:\n${retention}\n`);
  return () => loadCloudConfig(file);
};

describe('retention config', () => {
  it('keeps raw readings forever unless rawReadingsDays is set; checks daily by default', () => {
    expect(cloudConfigSchema.parse({}).retention).toBeUndefined();
    expect(load('  archiveDir: /srv/archives')()).toMatchObject({
      retention: { archiveDir: '/srv/archives', intervalMs: DEFAULT_RETENTION_INTERVAL_MS },
    });
    expect(load('  archiveDir: /srv/archives')().retention?.rawReadingsDays).toBeUndefined();
    expect(DEFAULT_RETENTION_INTERVAL_MS).toBe(86_400_000);
    expect(
      load('  archiveDir: /srv/archives\n  rawReadingsDays: 2190\n  intervalMs: 3600000')().retention,
    ).toEqual({ archiveDir: '/srv/archives', rawReadingsDays: 2190, intervalMs: 3_600_000 });
  });

  it('refuses nonsense with a message naming the key', () => {
    const cases: Array<[string, RegExp]> = [
      ['  archiveDir: /a\n  rawReadingsDays: 0', /retention\.rawReadingsDays.*at least 1 day/],
      ['  archiveDir: /a\n  rawReadingsDays: -30', /retention\.rawReadingsDays.*at least 1 day/],
      ['  archiveDir: /a\n  rawReadingsDays: 1.5', /retention\.rawReadingsDays.*whole number of days/],
      ['  archiveDir: /a\n  rawReadingsDays: "30"', /retention\.rawReadingsDays.*whole number of days/],
      ['  archiveDir: /a\n  rawReadingsDays: 100000', /retention\.rawReadingsDays.*at most 36500/],
      ['  rawReadingsDays: 30', /retention\.archiveDir/],
      ['  archiveDir: ""\n  rawReadingsDays: 30', /retention\.archiveDir.*directory/],
      ['  archiveDir: /a\n  intervalMs: 1000', /retention\.intervalMs.*at least 60000/],
      ['  archiveDir: /a\n  keepDays: 30', /retention.*keepDays/],
    ];
    for (const [retention, message] of cases)
      expect(load(retention), retention).toThrow(new RegExp(`invalid config: .*${message.source}`));
  });
});
