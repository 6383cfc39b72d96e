import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base.js';

// Declarations for the library API only; the CLI is a program.
export default defineConfig(packageBuild({ index: 'src/index.ts', cli: 'src/cli.ts' }, { index: 'src/index.ts' }));
