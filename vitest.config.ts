import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'jobs/**/*.test.ts'],
    // The real API server tier has its own config (vitest.apiserver.config.ts, `npm run test:apiserver`).
    exclude: [...configDefaults.exclude, 'test/apiserver/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // dist/ is built first: the CLI tests spawn it (test/support/build-dist.ts).
    globalSetup: ['./test/support/build-dist.ts'],
    reporters: ['default', './test/support/closing-line-reporter.ts'],
  },
});
