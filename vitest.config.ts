import { defineConfig } from 'vitest/config';

// Two projects: `unit` (pure functions, no services, seconds) and `integration` (real
// Elasticsearch and Kafka, started by test/globalSetup.ts when they are not running already).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/**/*.int.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.int.test.ts'],
          globalSetup: ['test/globalSetup.ts'],
          // The pipeline's info lines would bury the test report; warnings and errors still show.
          env: { FEDSEARCH_LOG_LEVEL: 'warn' },
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // The services are shared; files run one at a time so they do not starve each other
          // on a 2-core machine.
          fileParallelism: false,
        },
      },
    ],
  },
});
