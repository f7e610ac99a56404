import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from 'vitest';
import { runDeadNodeStart } from './dead-node-start-suite.js';

// On SQLite, owners written explicitly (one process writes there; PostgreSQL: dead-node-start.pg.svc.test.ts).
describe('evaluation marks of dead nodes taken over at start (SQLite)', () => {
  runDeadNodeStart('SQLite', {
    async fresh() {
      const dir = mkdtempSync(join(tmpdir(), 'coldtrace-dead-start-'));
      return {
        url: `sqlite:${join(dir, 'cloud.db')}`,
        drop: async () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  });
});
