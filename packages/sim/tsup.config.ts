import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base.js';

// Declarations for the library (`@scale/sim`) and its CLI subpath (`@scale/sim/cli`); `cli` is the program.
export default defineConfig(
  packageBuild({ index: 'src/index.ts', 'cli-library': 'src/cli-library.ts', cli: 'src/cli.ts' }, { index: 'src/index.ts', 'cli-library': 'src/cli-library.ts' }),
);
