import { defineConfig } from 'tsup';

export default defineConfig({
  // The update thread's entry is its own file: `new Worker(new URL('./update-worker.js', import.meta.url))`.
  entry: { index: 'src/index.ts', 'update-worker': 'src/internal/update-worker.ts' },
  format: ['esm'],
  dts: { entry: { index: 'src/index.ts' } },
  sourcemap: true,
  clean: true,
  target: 'node20',
});
