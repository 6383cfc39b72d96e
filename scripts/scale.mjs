#!/usr/bin/env node
// `pnpm scale ...` from the repository root: runs the built `scale` CLI, or says how to build it.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../apps/experiments/dist/cli.js', import.meta.url));
if (!existsSync(cli)) {
  process.stderr.write('scale: not built yet; run `pnpm build` first\n');
  process.exit(2);
}
await import(cli);
