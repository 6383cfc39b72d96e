import { defineConfig } from 'vitest/config';

// Learning tests train real agents for a few seconds each; on 2 busy cores that can exceed vitest's 5 s default.
export default defineConfig({ test: { include: ['src/**/*.test.ts'], testTimeout: 120_000 } });
