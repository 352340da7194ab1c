import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // stress/*.stress.ts run here in their short form (SIDEKICK_STRESS unset); `npm run stress` runs them long.
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'stress/**/*.test.ts', 'stress/**/*.stress.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    globalSetup: ['test/global-setup.ts'],
    // The end-to-end tests share one engine; running files in parallel on 2 cores only adds noise.
    fileParallelism: false,
  },
});
