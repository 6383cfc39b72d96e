import { defineConfig } from 'vitest/config';

// CLI tests spawn processes and property tests run many episodes; in CI the packages' suites share 2 cores,
// where vitest's 5 s default is too tight for them.
export default defineConfig({ test: { include: ['src/**/*.test.ts'], testTimeout: 60_000 } });
