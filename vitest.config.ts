import { defineConfig } from 'vitest/config';
import LaneSequencer from './test/lanes/lane-sequencer.js';

export default defineConfig({
  test: {
    // stress/*.stress.ts run here in their short form (SIDEKICK_STRESS unset); `npm run stress` runs them long.
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'stress/**/*.test.ts', 'stress/**/*.stress.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    globalSetup: ['test/global-setup.ts'],
    // Two files at a time, but never two end-to-end files of one lane (test/lanes/lanes.ts): one
    // file on the Docker engine beside one on the control-plane double, unit files beside either.
    maxWorkers: 2,
    setupFiles: ['test/lanes/hold-lane.ts'],
    sequence: { sequencer: LaneSequencer },
  },
});
