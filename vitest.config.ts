import { defineConfig } from 'vitest/config';

// One project per workspace; `services` holds the suites that need PostgreSQL, Mosquitto and InfluxDB
// (`npm run test:services`). Integration tests are `*.int.test.ts`, service tests `*.svc.test.ts`.
const workspace = (name: string) => ({
  test: {
    name,
    root: `./${name}`,
    include: ['test/**/*.test.ts'],
    exclude: ['test/**/*.svc.test.ts'],
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
      {
        test: {
          name: 'services',
          include: ['*/test/**/*.svc.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
