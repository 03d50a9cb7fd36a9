import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Real isolates need a real process (isolated-vm does not load in worker threads' snapshots):
    // forks, started with the flag isolated-vm's README requires on Node >= 20.
    pool: 'forks',
    execArgv: ['--no-node-snapshot'],
    maxWorkers: 2,
    reporters: ['default', './test/reporters/plain-summary.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    projects: [
      {
        extends: true,
        test: { name: 'main', include: ['test/**/*.test.ts', 'edge-functions/**/*.test.ts'], exclude: ['test/supervisor/**'], sequence: { groupOrder: 0 } },
      },
      {
        // The supervisor's tests time worker deaths against requests in flight: they run after the
        // rest, not beside the multi-process control-plane tests, whose load would skew their clocks.
        extends: true,
        test: { name: 'supervisor', include: ['test/supervisor/**/*.test.ts'], sequence: { groupOrder: 1 } },
      },
    ],
  },
});
