import { defineConfig } from 'vitest/config';

// Two projects: `unit` never needs a daemon or root; `live` talks to the real dockerd that
// scripts/test.sh started (NETSLEUTH_TEST_DOCKER_HOST) and runs one file at a time, because
// live tests share one daemon and one host firewall.
export default defineConfig({
  test: {
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          // Generous: CLI tests spawn processes, and CI machines are small and shared.
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'live',
          include: ['test/live/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          // One fork runs the live files one after another (each still isolated).
          pool: 'forks',
          poolOptions: { forks: { singleFork: true } },
        },
      },
    ],
  },
});
