import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base.js';

export default defineConfig(packageBuild({ index: 'src/index.ts', cli: 'src/cli.ts', worker: 'src/worker.ts', 'queue-processor': 'src/queue-processor.ts' }, { index: 'src/index.ts' }));
