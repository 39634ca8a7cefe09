import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{shared,git,agent,hub,cli,test}/**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    // Says once when the DKP reference files are missing and which tests that skips.
    globalSetup: ['test/src/dkp-notice.ts'],
    // Waits are bounded by @netfleet/test's `eventually` (120 s each); a test's or hook's
    // budget only catches a hang, so it is generous: the machine is often busy.
    testTimeout: 600_000,
    hookTimeout: 600_000,
    // Integration suites start servers; two cores is the machine size.
    pool: 'forks',
    maxWorkers: 2,
  },
});
