import { defineConfig } from 'vitest/config';

// Property tests over tfjs forwards can exceed vitest's 5 s default on 2 busy cores.
export default defineConfig({ test: { include: ['src/**/*.test.ts'], testTimeout: 60_000 } });
