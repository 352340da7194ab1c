import { defineConfig } from 'vitest/config';

/**
 * `npm run stress`: the scenarios of stress/ (SIDEKICK_STRESS=long for the long form), with the
 * suite's own setup (fixtures, zombie log, leftover check) and a second setup that collects the
 * figures and publishes them (stress/figures-setup.ts). The short form runs inside `npm test`.
 */
export default defineConfig({
  test: {
    include: ['stress/**/*.stress.ts'],
    testTimeout: 30 * 60_000,
    hookTimeout: 300_000,
    globalSetup: ['test/global-setup.ts', 'stress/figures-setup.ts'],
    fileParallelism: false,
  },
});
