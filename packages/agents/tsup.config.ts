import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base.js';

// The update thread's entry is its own file: `new Worker(new URL('./update-worker.js', import.meta.url))`.
export default defineConfig(packageBuild({ index: 'src/index.ts', 'update-worker': 'src/internal/update-worker.ts' }, { index: 'src/index.ts' }));
