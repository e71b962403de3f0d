import { defineConfig } from 'vitest/config';
import GapsLastSequencer from './test/sequencer.ts';

export default defineConfig({
  test: {
    // Integration tests share one local stack and fixed SIP ports; unit tests are quick enough in series.
    // `npm test` runs the integration project beside the other two (test/lanes.sh).
    fileParallelism: false,
    sequence: { sequencer: GapsLastSequencer },
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          globalSetup: ['test/unit/redis-setup.ts'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          // The settings service against a real Redis (its own database index and key prefix), and its page
          // in headless Chromium; no LiveKit stack needed.
          name: 'service',
          include: ['test/service/**/*.test.ts'],
          globalSetup: ['test/service/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/integration/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          pool: 'forks',
        },
      },
    ],
  },
});
