import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'edge-functions/**/*.test.ts'],
    // Real isolates need a real process (isolated-vm does not load in worker threads' snapshots):
    // forks, started with the flag isolated-vm's README requires on Node >= 20.
    pool: 'forks',
    execArgv: ['--no-node-snapshot'],
    maxWorkers: 2,
    reporters: ['default', './test/reporters/plain-summary.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
