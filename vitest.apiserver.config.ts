import { defineConfig } from 'vitest/config';

// The real API server tier (`npm run test:apiserver`): kube-apiserver and etcd
// built from their Go modules (test/apiserver/global-setup.ts finds or builds
// them once), one server per test file, a fresh namespace per test.
export default defineConfig({
  test: {
    include: ['test/apiserver/**/*.test.ts'],
    // dist/ first (the CLI tests spawn it), then the binaries.
    globalSetup: ['./test/support/build-dist.ts', 'test/apiserver/global-setup.ts'],
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ['default', './test/support/closing-line-reporter.ts'],
  },
});
