import { defineConfig } from 'vitest/config';

// Three tiers, chosen by a test file's suffix:
// - `*.test.ts` (unit and integration: real TCP, aedes, SQLite, pseudo-terminals, child processes):
//   one project per workspace plus `repository` (checks of the repository itself); `npm test`.
// - `*.e2e.test.ts` (whole journeys: scenario library, demo, durability kill tests, browser tests):
//   project `e2e`, one file at a time so journeys do not compete for the CPU; `npm run test:e2e`.
// - `*.svc.test.ts` (PostgreSQL, Mosquitto, InfluxDB, RabbitMQ): project `services`; `npm run test:services`.
const TIERED = ['**/*.e2e.test.ts', '**/*.svc.test.ts', '**/node_modules/**'];

const workspace = (name: string, root = `./${name}`) => ({
  test: {
    name,
    root,
    include: ['test/**/*.test.ts'],
    exclude: TIERED,
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});

export default defineConfig({
  test: {
    projects: [
      workspace('shared'),
      workspace('edge'),
      workspace('cloud'),
      workspace('firmware-sim'),
      workspace('scenario'),
      workspace('journeys'),
      workspace('repository', '.'),
      {
        test: {
          name: 'e2e',
          include: ['*/test/**/*.e2e.test.ts'],
          exclude: ['**/node_modules/**'],
          testTimeout: 300_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'services',
          include: ['*/test/**/*.svc.test.ts'],
          exclude: ['**/node_modules/**'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
