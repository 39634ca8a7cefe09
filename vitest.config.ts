import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{shared,git,agent,hub,cli,test}/**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    // Says once when the DKP reference files are missing and which tests that skips.
    globalSetup: ['test/src/dkp-notice.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Integration suites start servers; two cores is the machine size.
    pool: 'forks',
    maxWorkers: 2,
  },
});
