import type { Options } from 'tsup';

/**
 * The one build setting every package shares: ESM for Node 20, declarations, source maps, a clean
 * `dist/`. A package's `tsup.config.ts` names only its entries (and which of them are public API,
 * for the declarations).
 */
export function packageBuild(entry: Record<string, string>, declarationEntry: Record<string, string> = entry): Options {
  return {
    entry,
    format: ['esm'],
    dts: { entry: declarationEntry },
    sourcemap: true,
    clean: true,
    target: 'node20',
  };
}
